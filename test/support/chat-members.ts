import type { EnterRoomResult } from '@conclave/contracts';
import type { Socket } from 'socket.io-client';
import { type Account, type Client, newAccount, registeredClient } from './accounts.js';
import type { Endpoint } from './server.js';
import { ask, CHAT_EVENTS, connect, connected, resultOf, sessionCookie } from './sockets.js';

/** A registered, signed-in user with a REST client and one connected socket. */
export interface ChatMember {
  account: Account;
  rest: Client;
  socket: Socket;
  /** The session cookie the socket was opened with (for more sockets of the same session). */
  cookie: string;
}

export async function chatMember(server: Endpoint, name: string): Promise<ChatMember> {
  const account = await newAccount(name);
  const rest = await registeredClient(server, account);
  const cookie = await sessionCookie(server, account);
  const socket = connect(server, cookie);
  await connected(socket);
  return { account, rest, socket, cookie };
}

/** room:enter on the member's socket; a refusal throws. */
export async function enterRoom(member: ChatMember, code: string): Promise<EnterRoomResult> {
  return resultOf(await ask(member.socket, CHAT_EVENTS.enter, { code }));
}
