import type { RoomSummary } from '@conclave/contracts';
import { formatSafetyNumber, generateEpochKey, importPublicKeys, safetyNumber, sealKeyBox, signAdmission } from '@conclave/crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type Account, browserClient, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { encodingsOf, launchChromium, recordRequests } from '../support/browser.js';
import { askToJoin, createRoom, joinRequest, joinRoom, messages, type PageIncidents, say, signInPage, watchedPage } from '../support/chat-ui.js';
import { sql } from '../support/db.js';
import { ServerProcess } from '../support/server.js';
import { ask, CHAT_EVENTS, connect, connected, sessionCookie } from '../support/sockets.js';

const ROOM_PASSWORD = 'Seven swans a-swimming 7';
const EVE_PASSWORD = 'Quiet otter sings at noon 7!';

let server: ServerProcess;
let browser: Browser;
const contexts: BrowserContext[] = [];
const incidents: PageIncidents = { violations: [], dialogs: [], errors: [] };
/** Every request of every page: no room password and no invite secret may appear in one. */
const sent: string[] = [];
const secrets: string[] = [ROOM_PASSWORD];
let ann: Account;
let ben: Account;
let cat: Account;
let dan: Account;
let mal: Account;
let annPage: Page;
let benPage: Page;
let code: string;

async function page(account?: Account): Promise<Page> {
  const p = await watchedPage(browser, incidents, contexts);
  recordRequests(p.context(), sent);
  if (account) await signInPage(p, server, account);
  return p;
}

const roster = (p: Page) => p.locator('[aria-label="Room roster"]');
const memberRow = async (username: string) =>
  (await sql(server, 'SELECT 1 FROM room_members m JOIN rooms r ON r.id = m.room_id JOIN users u ON u.id = m.user_id WHERE r.code = $1 AND u.username = $2', [code, username])).length;

beforeAll(async () => {
  [server, browser, ann, ben, cat, dan, mal] = await Promise.all([
    ServerProcess.start({ env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000', CHAT_RATE_LIMIT: 'steady' } }),
    launchChromium(),
    newAccount('ann'),
    newAccount('ben'),
    newAccount('cat'),
    newAccount('dan'),
    newAccount('mal'),
  ]);
  for (const account of [ann, ben, cat, dan, mal]) await registeredClient(server, account);
  [annPage, benPage] = await Promise.all([page(ann), page(ben)]);
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await server?.stop();
});

describe('membership in chromium: approval, invite links, room passwords', () => {
  it('lets a code alone in only once a member admits, after showing the safety number; the joiner then reads', async () => {
    code = await createRoom(annPage, 'Approval');
    await say(annPage, 'only for admitted eyes');
    await askToJoin(benPage, code);
    await benPage.getByRole('list', { name: 'Waiting to be let in' }).getByRole('link', { name: /Approval/ }).waitFor();
    await expect(benPage.getByRole('heading', { level: 1, name: 'Approval' }).count()).resolves.toBe(0);

    // Ann sees the request with the safety number of ann and ben, and a count in her room list.
    const request = await joinRequest(annPage, code, 'ben');
    const groups = request.locator('[aria-label="Safety number with ben"] span');
    await groups.nth(11).waitFor();
    const expected = formatSafetyNumber(await safetyNumber({ userId: ann.userId, publicKeys: ann.publicKeys }, { userId: ben.userId, publicKeys: ben.publicKeys }));
    expect(await groups.allTextContents()).toEqual(expected);
    await annPage.locator('nav[aria-label="Rooms"]').getByLabel('1 asking to join').waitFor();

    // Pending is not a member: not in the roster, not in room_members, no key, no history.
    await expect(roster(annPage).locator('li[data-user="ben"]').count()).resolves.toBe(0);
    await expect(memberRow('ben')).resolves.toBe(0);
    await expect(sql(server, 'SELECT 1 FROM key_boxes WHERE recipient_id = $1', [ben.userId])).resolves.toEqual([]);

    await request.getByRole('button', { name: /^Admit/ }).click();
    await benPage.getByRole('heading', { level: 1, name: 'Approval' }).waitFor({ timeout: 30_000 });
    await messages(benPage).filter({ hasText: 'only for admitted eyes' }).locator('.body').waitFor({ timeout: 30_000 });
    await roster(annPage).locator('li[data-user="ben"]').waitFor({ timeout: 30_000 });
    await annPage.locator('nav[aria-label="Rooms"]').getByLabel('1 asking to join').waitFor({ state: 'detached' });
    await expect(benPage.getByRole('list', { name: 'Waiting to be let in' }).count()).resolves.toBe(0);
  }, 90_000);

  it('declines: the joiner is told and never becomes a member', async () => {
    const catPage = await page(cat);
    await askToJoin(catPage, code);
    await (await joinRequest(annPage, code, 'cat')).getByRole('button', { name: /^Decline/ }).click();
    await catPage.getByRole('alert').filter({ hasText: `The members of ${code} declined your request to join.` }).waitFor({ timeout: 30_000 });
    await benPage.getByRole('group', { name: 'cat asks to join' }).waitFor({ state: 'detached' });
    await expect(memberRow('cat')).resolves.toBe(0);
    await catPage.context().close();
  }, 60_000);

  it('keeps a request while no member is online, and shows it when one connects', async () => {
    const annContext = annPage.context();
    const benContext = benPage.context();
    await Promise.all([annPage.close(), benPage.close()]);
    const danPage = await page(dan);
    await askToJoin(danPage, code);

    annPage = await annContext.newPage();
    await annPage.goto(`${server.origin}/rooms/${code}`);
    await (await joinRequest(annPage, code, 'dan')).getByRole('button', { name: /^Admit/ }).click();
    await danPage.getByRole('heading', { level: 1, name: 'Approval' }).waitFor({ timeout: 30_000 });
    await messages(danPage).filter({ hasText: 'only for admitted eyes' }).locator('.body').waitFor({ timeout: 30_000 });
    benPage = await benContext.newPage();
    await benPage.goto(`${server.origin}/rooms/${code}`);
    await benPage.getByRole('heading', { level: 1, name: 'Approval' }).waitFor({ timeout: 30_000 });
    await danPage.context().close();
  }, 90_000);

  it('opens an invite link in a fresh browser: sign up, joined and reading in one flow, nobody clicks Admit', async () => {
    await annPage.getByRole('button', { name: 'Invite', exact: true }).click();
    const form = annPage.getByRole('form', { name: 'Create an invite link' });
    await form.getByLabel(/^Valid for/).fill('2');
    await form.getByLabel(/^Number of people/).fill('1');
    await form.getByRole('button', { name: 'Create invite link' }).click();
    const link = await form.getByLabel('Invite link', { exact: true }).inputValue({ timeout: 30_000 });
    expect(link).toMatch(new RegExp(`^${server.origin}/join/${code}#[A-Za-z0-9_-]{43}$`));
    secrets.push(link.split('#')[1]!);
    await annContextCopies(annPage, form, link);

    const fresh = await page();
    await fresh.goto(link);
    await fresh.getByRole('heading', { name: `Invitation to room ${code}` }).waitFor();
    await fresh.getByRole('link', { name: 'Create an account' }).click();
    await fresh.waitForURL('**/sign-up?invite=*');
    await fresh.getByLabel('Username').fill('eve');
    await fresh.getByLabel('Password', { exact: true }).fill(EVE_PASSWORD);
    await fresh.getByLabel('Repeat the password').fill(EVE_PASSWORD);
    await fresh.locator('altcha-widget').getByText("I'm not a robot").click();
    await fresh.locator('altcha-widget .altcha[data-state="verified"]').waitFor({ timeout: 30_000 });
    await fresh.getByRole('button', { name: 'Create account' }).click();
    await fresh.getByRole('heading', { level: 1, name: 'Approval' }).waitFor({ timeout: 60_000 });
    await messages(fresh).filter({ hasText: 'only for admitted eyes' }).locator('.body').waitFor({ timeout: 30_000 });
    await roster(annPage).locator('li[data-user="eve"]').waitFor({ timeout: 30_000 });
    // Admitted by a member's browser after checking the proof: nobody was asked.
    await expect(annPage.getByRole('group', { name: 'eve asks to join' }).count()).resolves.toBe(0);
    await fresh.context().close();
  }, 120_000);

  it('offers an invite link in the "Room created" dialog; a signed-out member of another room follows it through sign-in', async () => {
    await annPage.getByRole('button', { name: 'Create room' }).click();
    await annPage.getByLabel('Room name').fill('Linked');
    await annPage.getByRole('button', { name: 'Create', exact: true }).click();
    const linked = (await annPage.getByLabel('New room code').textContent({ timeout: 60_000 }))!.trim();
    const dialog = annPage.locator('dialog[open]');
    await dialog.getByRole('button', { name: 'Create invite link' }).click();
    const link = await dialog.getByLabel('Invite link', { exact: true }).inputValue({ timeout: 30_000 });
    secrets.push(link.split('#')[1]!);
    await annContextCopies(annPage, dialog, link);
    await dialog.getByRole('button', { name: 'Open Linked' }).click();
    await say(annPage, 'linked and sealed');

    const fresh = await page();
    await fresh.goto(link);
    await fresh.getByRole('link', { name: 'Sign in' }).click();
    await fresh.getByText(`After signing in you join room ${linked} with your invite.`).waitFor();
    await fresh.getByLabel('Username').fill(cat.username);
    await fresh.getByLabel('Password').fill(cat.password);
    await fresh.getByRole('button', { name: 'Sign in' }).click();
    await fresh.getByRole('heading', { level: 1, name: 'Linked' }).waitFor({ timeout: 60_000 });
    await messages(fresh).filter({ hasText: 'linked and sealed' }).locator('.body').waitFor({ timeout: 30_000 });

    // One use only: a second person with the same link is refused by the server.
    const again = await page(dan);
    await again.goto(link);
    await again.getByRole('alert').waitFor({ timeout: 30_000 });
    await expect(again.getByRole('heading', { level: 1, name: 'Linked' }).count()).resolves.toBe(0);
    await Promise.all([fresh.context().close(), again.context().close()]);
  }, 120_000);

  it('admits whoever gives the room password without an approval step; the password never leaves a browser', async () => {
    const locked = await createRoom(annPage, 'Locked', { password: ROOM_PASSWORD });
    await say(annPage, 'behind the password');
    const joiner = await page(dan);
    await joiner.getByRole('textbox', { name: 'Room code' }).fill(locked);
    await joiner.getByRole('button', { name: 'Join', exact: true }).click();
    // The code alone is answered as an unknown code would be.
    await joiner.getByRole('alert').filter({ hasText: `No room with code ${locked}` }).waitFor();
    await joiner.getByRole('form', { name: 'Join a room' }).getByLabel('Room password').fill(ROOM_PASSWORD);
    await joiner.getByRole('button', { name: 'Join', exact: true }).click();
    await joiner.getByRole('heading', { level: 1, name: 'Locked' }).waitFor({ timeout: 60_000 });
    await messages(joiner).filter({ hasText: 'behind the password' }).locator('.body').waitFor({ timeout: 30_000 });
    await expect(annPage.getByRole('group', { name: 'dan asks to join' }).count()).resolves.toBe(0);
    await joiner.context().close();
  }, 120_000);

  it('lets the owner remove a member from the room screen after confirming in the page', async () => {
    await annPage.locator('nav[aria-label="Rooms"]').getByRole('link', { name: /Approval/ }).click();
    await roster(annPage).locator('li[data-user="ben"]').getByRole('button', { name: 'Remove ben' }).click();
    const confirm = annPage.getByRole('alertdialog').filter({ hasText: 'Remove ben from Approval?' });
    await confirm.getByRole('button', { name: 'Keep' }).click();
    await expect(memberRow('ben')).resolves.toBe(1);
    await roster(annPage).locator('li[data-user="ben"]').getByRole('button', { name: 'Remove ben' }).click();
    await confirm.getByRole('button', { name: 'Yes, remove ben' }).click();
    await roster(annPage).locator('li[data-user="ben"]').waitFor({ state: 'detached', timeout: 30_000 });
    await expect(memberRow('ben')).resolves.toBe(0);
    await benPage.locator('nav[aria-label="Rooms"]').getByRole('link', { name: /Approval/ }).waitFor({ state: 'detached', timeout: 30_000 });
    await say(annPage, 'after ben was removed');
  }, 60_000);

  it('gives no key to a user the server adds by itself: a row in room_members and a forged admission', async () => {
    const inserted = await createRoom(annPage, 'Inserted');
    await say(annPage, 'not for mal');
    const warnings: string[] = [];
    annPage.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
    // A hostile server (or whoever writes to its database) adds mal, with an admission "by ann" that mal signed himself.
    const [room] = await sql<{ id: string; current_epoch: number }>(server, 'SELECT id, current_epoch FROM rooms WHERE code = $1', [inserted]);
    const forged = await signAdmission({ roomId: room!.id, memberId: mal.userId, memberKeys: mal.publicKeys, admitterId: ann.userId, via: 'approval', admitterSig: mal.identity.sig.privateKey });
    await sql(server, `INSERT INTO room_members (room_id, user_id, role, joined_epoch) VALUES ($1, $2, 'member', $3)`, [room!.id, mal.userId, room!.current_epoch]);
    await sql(server, `INSERT INTO room_admissions (room_id, member_id, member_keys, admitter_id, via, admitted_at, sig) VALUES ($1, $2, $3, $4, 'approval', $5, $6)`, [
      room!.id,
      mal.userId,
      forged.memberKeys,
      ann.userId,
      forged.admittedAt,
      forged.sig,
    ]);

    // Ann's browser lists mal as not admitted, and refuses his key request when the server relays it.
    await annPage.reload();
    await roster(annPage).locator('li[data-user="mal"]').getByText('⚠ not admitted').waitFor({ timeout: 30_000 });
    const socket = connect(server, await sessionCookie(server, mal));
    await connected(socket);
    try {
      await ask(socket, CHAT_EVENTS.keyRequest, { roomId: room!.id });
      for (let i = 0; i < 50 && !warnings.some((w) => w.includes(mal.userId)); i++) await new Promise((r) => setTimeout(r, 200));
    } finally {
      socket.disconnect();
    }
    expect(warnings.filter((w) => w.includes(mal.userId))).toEqual([`Key request of ${mal.userId} in ${inserted} ignored: not an admitted member`]);
    await expect(sql(server, 'SELECT epoch FROM key_boxes WHERE recipient_id = $1', [mal.userId])).resolves.toEqual([]);
  }, 90_000);

  it('signs no second genesis for a room whose genesis it pinned: a server that drops it gets a warning, not a new signature', async () => {
    const pinned = await createRoom(annPage, 'Pinned');
    await say(annPage, 'signed once');
    // A hostile server pretends the room was made before signed membership, to have the owner sign again.
    const [room] = await sql<{ id: string }>(server, 'SELECT id FROM rooms WHERE code = $1', [pinned]);
    await sql(server, 'DELETE FROM room_admissions WHERE room_id = $1', [room!.id]);
    await sql(server, 'DELETE FROM room_genesis WHERE room_id = $1', [room!.id]);
    await annPage.goto(`${server.origin}/rooms/${pinned}`);
    await annPage.getByText("This room's signature changed").waitFor({ timeout: 30_000 });
    await new Promise((r) => setTimeout(r, 2_000));
    await expect(sql(server, 'SELECT 1 FROM room_genesis WHERE room_id = $1', [room!.id])).resolves.toEqual([]);
    await expect(sql(server, 'SELECT 1 FROM room_admissions WHERE room_id = $1', [room!.id])).resolves.toEqual([]);
  }, 60_000);

  it('upgrades a room made before signed membership: its owner signs it on opening, moves it to an announced epoch, members keep chatting and can admit', async () => {
    // What a room made before v2 looks like: created and joined the v1 way, keyed with an unannounced
    // epoch 1, never opened by a browser of this version (so no browser pinned a genesis for it).
    const danRest = browserClient(server);
    await danRest.post('/api/auth/login', { username: dan.username, authKey: dan.keys.authKey }).expect(200);
    const legacy = (await danRest.post('/api/rooms', { name: 'Legacy', history: 'shared' }).expect(201)).body as RoomSummary;
    await sql(server, `INSERT INTO room_members (room_id, user_id, role, joined_epoch) VALUES ($1, $2, 'member', 1)`, [legacy.id, ben.userId]);
    const epochKey = await generateEpochKey();
    for (const to of [dan, ben]) {
      const box = await sealKeyBox({ roomId: legacy.id, epoch: 1, epochKey, recipientId: to.userId, recipientEnc: (await importPublicKeys(to.publicKeys)).enc, sharerId: dan.userId, sharerSig: dan.identity.sig.privateKey });
      await sql(server, 'INSERT INTO key_boxes (room_id, epoch, recipient_id, sharer_id, wrapped, sig) VALUES ($1, $2, $3, $4, $5, $6)', [legacy.id, 1, to.userId, dan.userId, box.wrapped, box.sig]);
    }

    // The owner opens it: the browser signs the genesis, admits ben ('upgrade') and makes epoch 2 with its announcement.
    const danPage = await page(dan);
    await danPage.goto(`${server.origin}/rooms/${legacy.code}`);
    await danPage.getByRole('heading', { level: 1, name: 'Legacy' }).waitFor();
    for (let i = 0; i < 100 && !(await sql(server, 'SELECT 1 FROM room_epochs WHERE room_id = $1 AND epoch = 2', [legacy.id])).length; i++) await new Promise((r) => setTimeout(r, 200));
    await expect(sql(server, 'SELECT member_id, admitter_id, via FROM room_admissions WHERE room_id = $1', [legacy.id])).resolves.toEqual([
      { member_id: ben.userId, admitter_id: dan.userId, via: 'upgrade' },
    ]);
    await expect(sql(server, 'SELECT epoch, maker_id FROM room_epochs WHERE room_id = $1', [legacy.id])).resolves.toEqual([{ epoch: 2, maker_id: dan.userId }]);
    await say(danPage, 'after the upgrade');

    // Ben reads it, and ben, admitted by the upgrade, lets cat in.
    await benPage.goto(`${server.origin}/rooms/${legacy.code}`);
    await messages(benPage).filter({ hasText: 'after the upgrade' }).locator('.body').waitFor({ timeout: 30_000 });
    await say(benPage, 'from ben');
    const catPage = await page(cat);
    await joinRoom(catPage, legacy.code, 'Legacy', benPage);
    await messages(catPage).filter({ hasText: 'from ben' }).locator('.body').waitFor({ timeout: 30_000 });
    await roster(danPage).locator('li[data-user="cat"]').waitFor({ timeout: 30_000 });
    await expect(roster(danPage).getByText('⚠ not admitted').count()).resolves.toBe(0);
    await catPage.context().close();
  }, 120_000);

  it('sent no room password and no invite secret anywhere, broke no CSP rule, opened no dialog', () => {
    for (const secret of secrets) for (const form of encodingsOf(secret)) for (const entry of sent) expect(entry).not.toContain(form);
    expect(incidents.violations).toEqual([]);
    expect(incidents.dialogs).toEqual([]);
    // The refused join (404 for the code alone, 4xx for a used-up invite) is the only thing logged.
    expect(incidents.errors.filter((e) => !/status of (404|403|409|410)/.test(e))).toEqual([]);
  });
});

/** Copy puts the link on the clipboard. */
async function annContextCopies(p: Page, scope: ReturnType<Page['locator']>, link: string): Promise<void> {
  await p.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
  await scope.getByRole('button', { name: 'Copy' }).click();
  await scope.getByText('Copied.').waitFor();
  await expect(p.evaluate(() => navigator.clipboard.readText())).resolves.toBe(link);
}
