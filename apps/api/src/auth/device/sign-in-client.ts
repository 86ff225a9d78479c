import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { DEVICE_COOKIE } from '@conclave/contracts';
import { parse } from 'cookie';
import type { Request } from 'express';

/** What a credential check is counted against: the client's address and the device token it carries. */
export interface SignInClient {
  readonly ip: string;
  /** The raw device cookie, unverified. */
  readonly deviceToken: string | undefined;
}

export function signInClientOf(req: Request): SignInClient {
  return { ip: req.ip ?? 'unknown', deviceToken: req.headers.cookie ? parse(req.headers.cookie)[DEVICE_COOKIE] : undefined };
}

/** The SignInClient of the request, for routes that check the current credential. */
export const CurrentSignInClient = createParamDecorator((_data: unknown, context: ExecutionContext) => signInClientOf(context.switchToHttp().getRequest<Request>()));
