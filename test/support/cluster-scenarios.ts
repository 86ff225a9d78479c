import { ADMIN_API_PREFIX, ADMIN_PATHS, AUTH_PATHS, FILE_BODY_TYPE, FILE_PATHS, FILE_TYPE_PARAM, type FileLink, type RoomSummary, type StoredMessage } from '@conclave/contracts';
import { announceEpoch, decryptMessage, encryptMessage, generateEpochKey, importPublicKeys, openKeyBox, sealKeyBox, textContent } from '@conclave/crypto';
import type { Socket } from 'socket.io-client';
import { type Account, type Client, newAccount, registeredClient } from './accounts.js';
import { bearer, makeAdmin, mintApiToken } from './api-tokens.js';
import { Cluster, type ClusterOptions } from './cluster.js';
import { sql } from './db.js';
import { bytesBody, encryptedFile, sampleFiles, sendFileMessage } from './files.js';
import { admissionFor, createRoom, joinAndAdmit, withSocket } from './membership.js';
import { ask, CHAT_EVENTS, connected, makeFirstEpoch, next, resultOf, sessionCookie } from './sockets.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Settings of both instances: 'burst' so a user's limit is a count (5 per 10 s) that a slow machine cannot blur. */
const CLUSTER_ENV = { CHAT_RATE_LIMIT: 'burst', LOGIN_MAX_FAILURES: '3', LOGIN_ADDRESS_MAX_FAILURES: '1000', ROOM_PROBES_PER_ADDRESS_PER_MINUTE: '1000' };
const BURST = 5;

interface Person {
  account: Account;
  /** A browser-like client through HAProxy. */
  rest: Client;
  /** A session cookie of its own, for sockets and direct requests. */
  cookie: string;
  /** Epoch keys this person holds, by epoch. */
  keys: Map<number, CryptoKey>;
}

/**
 * The proof that several instances behave as one: users on different instances chat, see
 * each other, share keys, approve and rotate; limits and lockouts count once; an admin's disable
 * reaches every instance; kill -9 of one instance loses no acknowledged message. Each suite calls
 * this once, with or without Redis.
 */
export function clusterScenarios(options: ClusterOptions): void {
  let cluster: Cluster;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    cluster = await Cluster.start({ ...options, env: { ...CLUSTER_ENV, ...options.env } });
  }, 120_000);

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await cluster?.stop();
  });

  async function person(name: string): Promise<Person> {
    const account = await newAccount(name);
    const rest = await registeredClient(cluster.proxy, account);
    return { account, rest, cookie: await sessionCookie(cluster.proxy, account), keys: new Map() };
  }

  /** A socket of `who` on instance `index`; `listen` attaches listeners before the handshake ends. */
  async function on(index: number, who: Person, listen: (socket: Socket) => void = () => undefined): Promise<Socket> {
    const socket = cluster.connectTo(index, who.cookie);
    sockets.push(socket);
    listen(socket);
    await connected(socket);
    return socket;
  }

  const seal = (from: Person, roomId: string, epoch: number, body: string) =>
    encryptMessage({ roomId, senderId: from.account.userId, epoch, epochKey: from.keys.get(epoch)!, senderSig: from.account.identity.sig.privateKey, content: textContent(body) });

  async function read(message: StoredMessage, reader: Person, sender: Person): Promise<string> {
    const content = await decryptMessage(message, { epochKey: reader.keys.get(message.epoch)!, senderSig: (await importPublicKeys(sender.account.publicKeys)).sig });
    return (content as { body: string }).body;
  }

  const boxFor = async (from: Person, to: Pick<Account, 'userId' | 'publicKeys'>, roomId: string, epoch: number, epochKey: CryptoKey) =>
    sealKeyBox({ roomId, epoch, epochKey, recipientId: to.userId, recipientEnc: (await importPublicKeys(to.publicKeys)).enc, sharerId: from.account.userId, sharerSig: from.account.identity.sig.privateKey });

  /** What a browser does on key:available or key:epoch: fetches its boxes and opens those of `sharer`. */
  async function collectKeys(who: Person, socket: Socket, roomId: string, sharer: Person): Promise<void> {
    const { boxes } = resultOf(await ask(socket, CHAT_EVENTS.keyBoxes, { roomId }));
    const sharerSig = (await importPublicKeys(sharer.account.publicKeys)).sig;
    for (const box of boxes.filter((b) => b.sharerId === sharer.account.userId)) {
      who.keys.set(box.epoch, await openKeyBox(box, { recipientId: who.account.userId, recipientEnc: who.account.identity.enc.privateKey, sharerSig }));
    }
  }

  /** A room of `owner` with epoch 1 for the owner and the members given (admitted by the owner). */
  async function roomOf(owner: Person, name: string, members: Person[] = []): Promise<RoomSummary> {
    const room = await createRoom(cluster.proxy, owner, { name, history: 'shared' });
    for (const member of members) await joinAndAdmit(cluster.proxy, member, room, owner);
    const everyone = [owner, ...members];
    const epochKey = await withSocket(cluster.proxy, owner.account, (socket) => makeFirstEpoch(socket, room.id, owner.account, everyone.map((p) => p.account)));
    for (const p of everyone) p.keys.set(1, epochKey);
    return room;
  }

  describe('users on different instances', () => {
    let ann: Person;
    let ben: Person;
    let room: RoomSummary;
    let annSocket: Socket;
    let benSocket: Socket;

    beforeAll(async () => {
      [ann, ben] = await Promise.all([person('ann'), person('ben')]);
      room = await roomOf(ann, 'Across', [ben]);
    });

    it('see each other come online and go offline, and are both in the room roster', async () => {
      annSocket = await on(0, ann);
      const annSeesBen = next(annSocket, CHAT_EVENTS.presence, (p) => p.userId === ben.account.userId);
      let online!: Promise<{ online: Array<{ username: string }> }>;
      benSocket = await on(1, ben, (socket) => (online = next(socket, CHAT_EVENTS.online)));
      expect((await online).online.map((u) => u.username).sort()).toEqual(['ann', 'ben']);
      expect(await annSeesBen).toEqual({ userId: ben.account.userId, username: 'ben', online: true });

      await ask(annSocket, CHAT_EVENTS.enter, { code: room.code });
      const rosterForAnn = next(annSocket, CHAT_EVENTS.roster, (r) => r.present.length === 2);
      const entered = resultOf(await ask(benSocket, CHAT_EVENTS.enter, { code: room.code }));
      expect(entered).toMatchObject({ roomId: room.id, code: room.code, currentEpoch: 1 });
      expect((await rosterForAnn).present.map((p) => p.username)).toEqual(['ann', 'ben']);

      // ben's only socket closes on instance 1: ann, on instance 0, is told he is gone.
      const benGone = next(annSocket, CHAT_EVENTS.presence, (p) => p.userId === ben.account.userId);
      benSocket.disconnect();
      expect(await benGone).toEqual({ userId: ben.account.userId, username: 'ben', online: false });
      const benBack = next(annSocket, CHAT_EVENTS.presence, (p) => p.userId === ben.account.userId);
      benSocket = await on(1, ben);
      expect(await benBack).toMatchObject({ online: true });
      const rosterBack = next(annSocket, CHAT_EVENTS.roster, (r) => r.present.length === 2);
      await ask(benSocket, CHAT_EVENTS.enter, { code: room.code });
      expect((await rosterBack).present.map((p) => p.username)).toEqual(['ann', 'ben']);
    });

    it('see each other typing, and chat both ways', async () => {
      const benSeesTyping = next(benSocket, CHAT_EVENTS.typingNotice);
      annSocket.emit(CHAT_EVENTS.typing, { code: room.code, typing: true });
      expect(await benSeesTyping).toEqual({ code: room.code, userId: ann.account.userId, username: 'ann', typing: true });
      const annSeesTyping = next(annSocket, CHAT_EVENTS.typingNotice);
      benSocket.emit(CHAT_EVENTS.typing, { code: room.code, typing: true });
      expect(await annSeesTyping).toMatchObject({ userId: ben.account.userId, typing: true });

      const toBen = next(benSocket, CHAT_EVENTS.message);
      const sent = resultOf(await ask(annSocket, CHAT_EVENTS.send, await seal(ann, room.id, 1, 'hello from instance 0')));
      const received = await toBen;
      expect(received.seq).toBe(sent.seq);
      expect(await read(received, ben, ann)).toBe('hello from instance 0');

      const toAnn = next(annSocket, CHAT_EVENTS.message);
      resultOf(await ask(benSocket, CHAT_EVENTS.send, await seal(ben, room.id, 1, 'and back from instance 1')));
      expect(await read(await toAnn, ann, ben)).toBe('and back from instance 1');
    });

    it('share a file: uploaded through one instance, its link issued by the other, downloaded through either (one FILE_STORAGE_DIR, one FILE_LINK_SECRET)', async () => {
      const [sample] = sampleFiles('across-instances');
      const file = await encryptedFile(room.id, sample!.name, sample!.bytes);
      await cluster
        .direct(0, 'put', `${FILE_PATHS.upload(room.code, file.fileId)}?${FILE_TYPE_PARAM}=text%2Fplain`)
        .set('Cookie', ann.cookie)
        .set('Content-Type', FILE_BODY_TYPE)
        .send(Buffer.from(file.ciphertext))
        .expect(201);
      const toBen = next(benSocket, CHAT_EVENTS.message, (m) => m.fileId === file.fileId);
      const { reply } = await sendFileMessage(annSocket, ann.account, { id: room.id, epoch: 1, epochKey: ann.keys.get(1)! }, file);
      expect(reply.ok).toBe(true);
      await toBen;

      const link = (await cluster.direct(1, 'post', FILE_PATHS.link(room.code, file.fileId)).set('Cookie', ben.cookie).expect(200)).body as FileLink;
      for (const index of [0, 1]) {
        const download = await cluster
          .direct(index, 'get', link.url)
          .set('Cookie', ben.cookie)
          .buffer(true)
          .parse(bytesBody)
          .expect(200);
        expect(Buffer.compare(download.body as Buffer, Buffer.from(file.ciphertext))).toBe(0);
      }
    });
  });

  describe('membership and keys across instances', () => {
    let olga: Person;
    let jack: Person;
    let mia: Person;
    let room: RoomSummary;
    let olgaSocket: Socket;
    let jackSocket: Socket;

    beforeAll(async () => {
      [olga, jack, mia] = await Promise.all([person('olga'), person('jack'), person('mia')]);
      room = await roomOf(olga, 'Admissions');
      olgaSocket = await on(0, olga);
      await ask(olgaSocket, CHAT_EVENTS.enter, { code: room.code });
    });

    it('a joiner on one instance is approved by a member on the other, and gets the key from her', async () => {
      jackSocket = await on(1, jack);
      const asked = next(olgaSocket, CHAT_EVENTS.admissionRequested, (r) => r.userId === jack.account.userId);
      // jack's request reaches instance 1; olga is told on instance 0.
      const answer = await cluster.direct(1, 'post', `/api/rooms/${room.code}/join`).set('Cookie', jack.cookie).send({}).expect(200);
      expect(answer.body.status).toBe('pending');
      const request = await asked;
      expect(request).toMatchObject({ roomId: room.id, userId: jack.account.userId, username: 'jack', via: 'approval' });

      const resolved = next(jackSocket, CHAT_EVENTS.admissionResolved, (n) => n.userId === jack.account.userId);
      resultOf(await ask(olgaSocket, CHAT_EVENTS.admissionGrant, { roomId: room.id, admission: await admissionFor(room.id, olga.account, { userId: request.userId, publicKeys: request.publicKeys }) }));
      expect(await resolved).toEqual({ roomId: room.id, code: room.code, userId: jack.account.userId, outcome: 'admitted' });

      await ask(jackSocket, CHAT_EVENTS.enter, { code: room.code });
      const requested = next(olgaSocket, CHAT_EVENTS.keyRequested, (r) => r.requesterId === jack.account.userId);
      expect(resultOf(await ask(jackSocket, CHAT_EVENTS.keyRequest, { roomId: room.id }))).toEqual({ waiting: true, epochs: [1] });
      const keyRequest = await requested;
      const available = next(jackSocket, CHAT_EVENTS.keyAvailable);
      const box = await boxFor(olga, { userId: keyRequest.requesterId, publicKeys: keyRequest.publicKeys }, room.id, 1, olga.keys.get(1)!);
      expect(resultOf(await ask(olgaSocket, CHAT_EVENTS.keyShare, { roomId: room.id, boxes: [box] }))).toEqual({ stored: 1 });
      expect(await available).toEqual({ roomId: room.id, code: room.code, epochs: [1] });
      await collectKeys(jack, jackSocket, room.id, olga);

      const incoming = next(jackSocket, CHAT_EVENTS.message);
      resultOf(await ask(olgaSocket, CHAT_EVENTS.send, await seal(olga, room.id, 1, 'welcome, jack')));
      expect(await read(await incoming, jack, olga)).toBe('welcome, jack');
    });

    it('a removal on one instance asks members on both for the next epoch, and the new epoch reaches the other', async () => {
      await joinAndAdmit(cluster.proxy, mia, room, { account: olga.account, socket: olgaSocket });
      const miaSocket = await on(1, mia);
      await ask(miaSocket, CHAT_EVENTS.enter, { code: room.code });

      const removed = next(miaSocket, CHAT_EVENTS.removed);
      const rotateForOlga = next(olgaSocket, CHAT_EVENTS.rotate);
      const rotateForJack = next(jackSocket, CHAT_EVENTS.rotate);
      await cluster.direct(0, 'post', `/api/rooms/${room.code}/members/${mia.account.userId}/remove`).set('Cookie', olga.cookie).expect(204);
      expect(await removed).toEqual({ code: room.code, reason: 'removed' });
      const [rotate, jackRotate] = [await rotateForOlga, await rotateForJack];
      expect(rotate.nextEpoch).toBe(2);
      expect(jackRotate).toEqual(rotate);
      expect(rotate.members.map((m) => m.userId).sort()).toEqual([olga.account.userId, jack.account.userId].sort());

      const epoch2 = await generateEpochKey();
      const boxes = await Promise.all(rotate.members.map((m) => boxFor(olga, m, room.id, 2, epoch2)));
      const announcement = await announceEpoch({ roomId: room.id, epoch: 2, makerId: olga.account.userId, epochKey: epoch2, makerSig: olga.account.identity.sig.privateKey });
      const jackHears = next(jackSocket, CHAT_EVENTS.epoch);
      expect(resultOf(await ask(olgaSocket, CHAT_EVENTS.newEpoch, { roomId: room.id, epoch: 2, boxes, announcement }))).toEqual({ epoch: 2 });
      expect(await jackHears).toEqual({ roomId: room.id, code: room.code, epoch: 2 });
      olga.keys.set(2, epoch2);
      await collectKeys(jack, jackSocket, room.id, olga);
      expect(jack.keys.has(2)).toBe(true);

      const incoming = next(jackSocket, CHAT_EVENTS.message);
      resultOf(await ask(olgaSocket, CHAT_EVENTS.send, await seal(olga, room.id, 2, 'after mia left')));
      expect(await read(await incoming, jack, olga)).toBe('after mia left');
    });
  });

  describe('limits hold for the whole deployment', () => {
    it(`the message rate: ${BURST} messages, then refused, whether sent through one instance or alternating between two`, async () => {
      /** How many messages in a row `socketsOf` (taken in turn) get stored before the first refusal. */
      async function storedBeforeRefusal(who: Person, socketsOf: Socket[], roomId: string): Promise<number> {
        for (let i = 0; i < BURST + 3; i++) {
          const reply = await ask(socketsOf[i % socketsOf.length]!, CHAT_EVENTS.send, await seal(who, roomId, 1, `message ${i + 1}`));
          if (!reply.ok) {
            expect(reply.error.code).toBe('rate-limited');
            return i;
          }
        }
        return BURST + 3;
      }
      const [one, two] = await Promise.all([person('uno'), person('duo')]);
      const [roomOne, roomTwo] = [await roomOf(one, 'One instance'), await roomOf(two, 'Two instances')];
      const oneSocket = await on(0, one);
      await ask(oneSocket, CHAT_EVENTS.enter, { code: roomOne.code });
      const twoSockets = [await on(0, two), await on(1, two)];
      for (const socket of twoSockets) await ask(socket, CHAT_EVENTS.enter, { code: roomTwo.code });

      expect(await storedBeforeRefusal(one, [oneSocket], roomOne.id)).toBe(BURST);
      expect(await storedBeforeRefusal(two, twoSockets, roomTwo.id)).toBe(BURST);
      const [{ n }] = await sql<{ n: number }>(cluster.proxy, `SELECT count(*)::int AS n FROM messages WHERE room_id = $1`, [roomTwo.id]);
      expect(n).toBe(BURST);
    });

    it('the sign-in lockout: failures through either instance add up', async () => {
      const lou = await person('lou');
      const wrongKey = Buffer.alloc(32, 7).toString('base64');
      const attempt = (index: number, authKey = wrongKey) => cluster.direct(index, 'post', AUTH_PATHS.login).send({ username: 'lou', authKey });
      const first = await attempt(0).expect(401);
      expect(first.body.attemptsLeft).toBe(2);
      const second = await attempt(1).expect(401);
      expect(second.body.attemptsLeft).toBe(1);
      await attempt(0).expect(429);
      await attempt(1, lou.account.keys.authKey).expect(429);
      await attempt(0, lou.account.keys.authKey).expect(429);
    });

    it("an admin disabling a user ends that user's sockets on both instances", async () => {
      const [root, zoe] = await Promise.all([person('root'), person('zoe')]);
      await makeAdmin(cluster.proxy, root.account.userId);
      const token = await mintApiToken(cluster.proxy, root.account.userId, ['users:write']);
      const zoeSockets = [await on(0, zoe), await on(1, zoe)];
      const ended = zoeSockets.map((socket) => next(socket, CHAT_EVENTS.sessionEnded, undefined, 15_000));
      const closed = zoeSockets.map((socket) => new Promise<void>((resolve) => socket.once('disconnect', () => resolve())));
      const path = `/${ADMIN_API_PREFIX}/${ADMIN_PATHS.userDisable.replace(':userId', zoe.account.userId)}`;
      await cluster.direct(0, 'post', path).set(bearer(token.token)).expect(200);
      for (const notice of ended) expect((await notice).reason).toBe('Your session ended: sign in again');
      await Promise.all(closed);
    });
  });

  describe('kill -9 of one instance under a steady send load', () => {
    it('its clients reconnect through HAProxy to the other, resync, and every acknowledged message is stored and received exactly once', async () => {
      const names = ['kim', 'lee', 'max', 'ned', 'oli', 'pat'];
      const people = await Promise.all(names.map((name) => person(name)));
      const [owner, ...members] = people;
      const room = await roomOf(owner!, 'Under load', members);

      /** What each member's client did: live messages (in order), what resyncs brought, its reconnections. */
      const clients = people.map((who) => ({ who, socket: undefined as unknown as Socket, live: [] as number[], resynced: [] as number[], disconnectedAt: 0, reenteredAt: 0, ready: false, failure: '' }));
      const highestContiguous = (seqs: Iterable<number>) => {
        const seen = new Set(seqs);
        let n = 0;
        while (seen.has(n + 1)) n++;
        return n;
      };
      // Back after a reconnection, as the web client does: enter again, then resync from where it is
      // complete (across instances a message may arrive after a later one, so that is the first gap).
      async function reenter(client: (typeof clients)[number]): Promise<void> {
        for (let attempt = 1; ; attempt++) {
          try {
            resultOf(await client.socket.timeout(4_000).emitWithAck(CHAT_EVENTS.enter, { code: room.code }));
            let afterSeq = highestContiguous([...client.live, ...client.resynced]);
            for (;;) {
              const page = resultOf(await ask(client.socket, CHAT_EVENTS.resync, { roomId: room.id, afterSeq }));
              client.resynced.push(...page.messages.map((m) => m.seq));
              if (!page.more || page.messages.length === 0) break;
              afterSeq = Math.max(...page.messages.map((m) => m.seq));
            }
            client.reenteredAt = Date.now();
            client.ready = true;
            return;
          } catch (err) {
            if (attempt === 5) throw err;
            await sleep(500);
          }
        }
      }
      // Opened one after the other with nothing in between: round robin puts them on alternate instances.
      for (const client of clients) {
        const socket = cluster.connectThroughProxy(client.who.cookie);
        sockets.push(socket);
        client.socket = socket;
        socket.on(CHAT_EVENTS.message, (m: StoredMessage) => m.roomId === room.id && client.live.push(m.seq));
        socket.on('disconnect', () => {
          client.ready = false;
          client.disconnectedAt ||= Date.now();
        });
        await connected(socket);
        resultOf(await ask(socket, CHAT_EVENTS.enter, { code: room.code }));
        client.ready = true;
        socket.on('connect', () => void reenter(client).catch((err: Error) => (client.failure = err.message)));
      }

      /** clientMsgId → seq of every acknowledged message, and who sent it. */
      const acked = new Map<string, number>();
      const senderOf = new Map<number, Person>();
      let sending = true;
      const PACE_MS = 2_500; // 4 messages in a 10 s window: the burst limit leaves room for a resend
      async function sender(client: (typeof clients)[number]): Promise<void> {
        await sleep(Math.random() * PACE_MS);
        while (sending) {
          const envelope = await seal(client.who, room.id, 1, `load from ${client.who.account.username}`);
          for (;;) {
            if (!client.ready) {
              await sleep(100);
              continue;
            }
            const reply = await client.socket.timeout(3000).emitWithAck(CHAT_EVENTS.send, envelope).catch(() => undefined);
            if (reply?.ok) {
              const earlier = acked.get(envelope.clientMsgId);
              if (earlier !== undefined && earlier !== reply.result.seq) throw new Error(`${envelope.clientMsgId} acknowledged as ${earlier} and as ${reply.result.seq}`);
              acked.set(envelope.clientMsgId, reply.result.seq);
              senderOf.set(reply.result.seq, client.who);
              break;
            }
            if (reply && !['rate-limited', 'unavailable', 'not-entered'].includes(reply.error.code)) throw new Error(`send refused: ${JSON.stringify(reply.error)}`);
            await sleep(500); // no answer (the instance died with it) or a pause asked for: send the same envelope again
          }
          for (let paused = 0; paused < PACE_MS && sending; paused += 100) await sleep(100);
        }
      }
      const senders = clients.map((client) => sender(client));

      await sleep(5_000);
      const ackedBeforeKill = acked.size;
      const killedAt = Date.now();
      await cluster.kill(0);

      // Right after the kill, before the others have counted the dead instance out: a question to every
      // instance waits 2 s at most (SPEC), so entering a room (one question) still answers; a new
      // connection asks a few (its socket quota, whether it is the user's first, who is online), each
      // bounded, until the dead one is counted out (6 s of silence on PostgreSQL, at once on Redis).
      const deadline = Date.now() + 5_000;
      while (!clients.some((c) => c.disconnectedAt) && Date.now() < deadline) await sleep(50);
      const survivor = clients.find((c) => !c.disconnectedAt && c.socket.connected)!;
      expect(survivor).toBeDefined();
      const fresh = cluster.connectThroughProxy(survivor.who.cookie);
      sockets.push(fresh);
      const onlineRoster = next(fresh, CHAT_EVENTS.online, undefined, 10_000);
      const freshConnected = connected(fresh);
      expect(resultOf(await survivor.socket.timeout(4_000).emitWithAck(CHAT_EVENTS.enter, { code: room.code }))).toMatchObject({ roomId: room.id });
      await freshConnected;
      // Who is online includes the others on the surviving instance (the list always names its own user).
      const othersAlive = clients.filter((c) => !c.disconnectedAt && c.who !== survivor.who).map((c) => c.who.account.username);
      expect(othersAlive.length).toBeGreaterThan(0);
      expect((await onlineRoster).online.map((u) => u.username)).toEqual(expect.arrayContaining(othersAlive));
      fresh.disconnect();

      // Half the clients were on the killed instance: each is back, through HAProxy, on the other.
      const moved = clients.filter((c) => c.disconnectedAt);
      expect(moved.length).toBe(names.length / 2);
      const reconnectDeadline = killedAt + 20_000;
      while (moved.some((c) => !c.reenteredAt) && Date.now() < reconnectDeadline) await sleep(100);
      expect(moved.filter((c) => !c.reenteredAt).map((c) => `${c.who.account.username} ${c.failure}`)).toEqual([]);
      expect(Math.max(...moved.map((c) => c.reenteredAt - killedAt))).toBeLessThan(20_000);

      // The load goes on on the instance that is left, then stops.
      const ackedAtReconnect = acked.size;
      await sleep(5_000);
      sending = false;
      await Promise.all(senders);
      expect(ackedBeforeKill).toBeGreaterThan(0);
      expect(acked.size).toBeGreaterThan(ackedAtReconnect);
      await sleep(1_500); // the last live deliveries

      // Stored exactly once: every acknowledged clientMsgId has one row, at the seq its ack gave.
      const rows = await sql<{ seq: number; client_msg_id: string }>(cluster.proxy, `SELECT seq::int AS seq, client_msg_id FROM messages WHERE room_id = $1 ORDER BY seq`, [room.id]);
      const stored = new Map(rows.map((r) => [r.client_msg_id, r.seq]));
      expect(stored.size).toBe(rows.length);
      for (const [clientMsgId, seq] of acked) expect(stored.get(clientMsgId)).toBe(seq);
      // Received by every other member, live or by the resync after the reconnection, and never twice
      // live (a sender's own message comes back as its acknowledgement, not as message:new).
      const ackedSeqs = [...acked.values()].sort((a, b) => a - b);
      for (const client of clients) {
        const name = client.who.account.username;
        expect({ name, duplicates: client.live.filter((seq, i) => client.live.indexOf(seq) !== i) }).toEqual({ name, duplicates: [] });
        const received = new Set([...client.live, ...client.resynced]);
        expect({ name, missing: ackedSeqs.filter((seq) => senderOf.get(seq) !== client.who && !received.has(seq)) }).toEqual({ name, missing: [] });
      }
    });

    it('the killed instance, started again, is back in rotation and its users chat with the other instance’s', async () => {
      await cluster.restart(0);
      const [rae, sam] = await Promise.all([person('rae'), person('sam')]);
      const room = await roomOf(rae, 'After restart', [sam]);
      const [raeSocket, samSocket] = [await on(0, rae), await on(1, sam)];
      for (const socket of [raeSocket, samSocket]) await ask(socket, CHAT_EVENTS.enter, { code: room.code });
      const incoming = next(samSocket, CHAT_EVENTS.message);
      resultOf(await ask(raeSocket, CHAT_EVENTS.send, await seal(rae, room.id, 1, 'from the restarted instance')));
      expect(await read(await incoming, sam, rae)).toBe('from the restarted instance');
    });
  });
}
