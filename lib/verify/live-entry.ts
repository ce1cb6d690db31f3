/**
 * Runs inside the sandbox (see sandbox.ts): the live check of one target. Not meant to be run by hand.
 */
import { isolatedMain } from './isolated-main';
import { type LiveCheckInput, runLiveCheck } from './live';

isolatedMain<LiveCheckInput, Awaited<ReturnType<typeof runLiveCheck>>>(runLiveCheck);
