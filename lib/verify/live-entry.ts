/**
 * Runs inside the sandbox (see sandbox.ts): the live check of one target. Not meant to be run by hand.
 */
import { isolatedMain } from './isolated-main';
import { runLiveCheck } from './live';
import type { LiveCheckInput } from './live-session';

isolatedMain<LiveCheckInput, Awaited<ReturnType<typeof runLiveCheck>>>(runLiveCheck);
