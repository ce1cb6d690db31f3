// @ts-check
'use strict';
/**
 * Jest globalSetup / globalTeardown: every test process gets one private temporary folder as TMPDIR (workers
 * inherit the environment set here), removed when the run ends, so that nothing a test or a library makes
 * in os.tmpdir() is left behind (cdk8s' Testing.app() makes a `cdk8s.outdir.*` folder per call and never
 * removes it).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const KEY = 'RESTATE_STACK_TEST_TMPDIR';

module.exports = async function temporaryRoot() {
  if (process.env[KEY]) {
    fs.rmSync(process.env[KEY], { recursive: true, force: true });
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restate-stack-jest-'));
  process.env[KEY] = dir;
  process.env.TMPDIR = dir;
};
