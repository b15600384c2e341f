// The web call page in two real Chromium browsers, one per user: a connected call with video both ways and a hang-up,
// a refused call and a cancelled call. Run through run.sh, which starts the server and sets SIGNALING_URL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const artifacts = join(here, 'artifacts');
const baseUrl = process.env.SIGNALING_URL;
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const WAIT = 20_000;
const FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const browsers = [];

/** One browser (its own fresh profile) per user, so the two sides share nothing but the server. */
async function launchBrowser(label) {
  const userDataDir = await mkdtemp(join(tmpdir(), `signaling-e2e-${label}-`));
  // headless: false because --headless=new is in FLAGS: the flags above are exactly what Chromium gets.
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: false,
    args: FLAGS,
    viewport: { width: 720, height: 440 },
    timeout: WAIT,
  });
  context.setDefaultTimeout(WAIT);
  const browser = { label, context, userDataDir };
  browsers.push(browser);
  return browser;
}

/** A page signed in as <name> (a name no other test uses), recording its console; added to <users> at once. */
async function openUser(browser, name, users) {
  const page = await browser.context.newPage();
  const user = { name, page, console: [] };
  users.push(user);
  page.on('console', (m) => user.console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => user.console.push(`pageerror: ${e.message}`));
  await page.goto(baseUrl, { timeout: WAIT });
  await assertNoError(user);
  await page.fill('#user-name', user.name);
  await page.click('#sign-in');
  await page.waitForFunction(() => window.demo.callState === 'idle' || !document.getElementById('error').hidden, null, { timeout: WAIT });
  await assertNoError(user);
  return user;
}

async function assertNoError(user) {
  const error = await user.page.evaluate(() => {
    const element = document.getElementById('error');
    return element.hidden ? null : element.textContent;
  });
  assert.equal(error, null, `${user.name}: the page shows an error`);
}

function waitForState(user, state) {
  return user.page.waitForFunction((s) => window.demo?.callState === s, state, { timeout: WAIT });
}

async function status(user) {
  return (await user.page.textContent('#status')) ?? '';
}

async function waitForStatus(user, text) {
  await user.page.waitForFunction((t) => document.getElementById('status').textContent.includes(t), text, { timeout: WAIT });
}

/** The remote video shows frames: it has a size and its time moves on. */
async function assertRemoteVideoPlays(user) {
  await user.page.waitForFunction(() => {
    const video = document.getElementById('remote-video');
    return video.videoWidth > 0 && video.currentTime > 0;
  }, null, { timeout: WAIT });
  const t1 = await user.page.evaluate(() => document.getElementById('remote-video').currentTime);
  await user.page.waitForFunction((t) => document.getElementById('remote-video').currentTime > t + 0.5, t1, { timeout: WAIT });
  const size = await user.page.evaluate(() => {
    const video = document.getElementById('remote-video');
    return `${video.videoWidth}x${video.videoHeight}`;
  });
  assert.notEqual(size, '0x0', `${user.name}: remote video size`);
}

async function screenshot(user, name) {
  const path = join(artifacts, `${name}-${user.name}.png`);
  await user.page.screenshot({ path });
  return path;
}

/** Runs a scenario; on failure saves screenshots and prints both pages' console and state log. */
async function scenario(name, body) {
  const users = [];
  try {
    await body(users);
  } catch (err) {
    for (const user of users) {
      await screenshot(user, `failed-${name}`).catch(() => {});
      const log = await user.page.evaluate(() => window.demo?.log ?? []).catch(() => []);
      console.log(`--- ${user.name}: browser console\n${user.console.join('\n') || '(empty)'}`);
      console.log(`--- ${user.name}: page log\n${log.join('\n') || '(empty)'}`);
    }
    throw err;
  } finally {
    for (const user of users) {
      await user.page.close().catch(() => {});
    }
  }
}

async function call(caller, callee) {
  await caller.page.fill('#callee', callee.name);
  await caller.page.click('#call');
  await waitForState(caller, 'calling');
  await waitForState(callee, 'ringing');
  assert.equal(await callee.page.textContent('#incoming-name'), caller.name);
}

before(async () => {
  assert.ok(baseUrl, 'SIGNALING_URL is not set: run tests/e2e/run.sh');
  await mkdir(artifacts, { recursive: true });
  await launchBrowser('a');
  await launchBrowser('b');
});

after(async () => {
  for (const browser of browsers) {
    await browser.context.close().catch(() => {});
    await rm(browser.userDataDir, { recursive: true, force: true });
  }
});

test('A calls B, B accepts, video flows both ways, A hangs up', async () => {
  await scenario('connected', async (users) => {
    const a = await openUser(browsers[0], 'alice', users);
    const b = await openUser(browsers[1], 'bob', users);

    await call(a, b);
    await b.page.click('#accept');

    for (const user of [a, b]) {
      await user.page.waitForFunction(() => window.demo.pcState === 'connected' && window.demo.callState === 'connected', null, { timeout: WAIT });
    }
    for (const user of [a, b]) {
      await assertRemoteVideoPlays(user);
    }
    const shot = await screenshot(a, 'connected');
    await screenshot(b, 'connected');
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') {
      await copyFile(shot, join(here, '..', '..', 'docs', 'screenshots', 'connected-call.png'));
    }

    await a.page.click('#hang-up');
    await waitForState(a, 'idle');
    await waitForState(b, 'idle');
    await waitForStatus(b, `${a.name} hung up`);
    assert.equal(await b.page.evaluate(() => window.demo.pcState), 'none');
    await screenshot(a, 'hung-up');
    await screenshot(b, 'hung-up');
  });
});

test('B refuses: A is told, both are free again', async () => {
  await scenario('refused', async (users) => {
    const a = await openUser(browsers[0], 'carol', users);
    const b = await openUser(browsers[1], 'dave', users);

    await call(a, b);
    await b.page.click('#refuse');

    await waitForState(a, 'idle');
    await waitForStatus(a, `${b.name} refused the call (decline)`);
    await waitForState(b, 'idle');
    assert.match(await status(b), /You refused the call/);
    await screenshot(a, 'refused');
    await screenshot(b, 'refused');
  });
});

test('A cancels while B rings: B stops ringing', async () => {
  await scenario('cancelled', async (users) => {
    const a = await openUser(browsers[0], 'erin', users);
    const b = await openUser(browsers[1], 'frank', users);

    await call(a, b);
    await a.page.click('#cancel');

    await waitForState(a, 'idle');
    assert.match(await status(a), /You cancelled the call/);
    await waitForState(b, 'idle');
    await waitForStatus(b, `${a.name} cancelled the call`);
    await screenshot(a, 'cancelled');
    await screenshot(b, 'cancelled');
  });
});
