import { CreateAuditLog1763830000000 } from './1763830000000-create-audit-log.js';
import { CreateAccounts1763900000000 } from './1763900000000-create-accounts.js';
import { CreateRooms1764000000000 } from './1764000000000-create-rooms.js';
import { CreateMessages1764100000000 } from './1764100000000-create-messages.js';
import { CreateContactBooks1764200000000 } from './1764200000000-create-contact-books.js';
import { HashSessionIds1764340000000 } from './1764340000000-hash-session-ids.js';
import { KeyCommitments1764400000000 } from './1764400000000-key-commitments.js';
import { RoomMembership1764410000000 } from './1764410000000-room-membership.js';
import { Files1764500000000 } from './1764500000000-files.js';
import { Administration1764600000000 } from './1764600000000-administration.js';
import { AdminRevocations1764600000400 } from './1764600000400-admin-revocations.js';
import { RateLimitCounters1764600000500 } from './1764600000500-rate-limit-counters.js';
import { SocketIoAttachments1764600000600 } from './1764600000600-socket-io-attachments.js';
import { MessageLogEntries1764700000000 } from './1764700000000-message-log-entries.js';

/** Every migration, oldest first. A new migration is added here as well as in this folder. */
export const MIGRATIONS = [CreateAuditLog1763830000000, CreateAccounts1763900000000, CreateRooms1764000000000, CreateMessages1764100000000, CreateContactBooks1764200000000, HashSessionIds1764340000000, KeyCommitments1764400000000, RoomMembership1764410000000, Files1764500000000, Administration1764600000000, AdminRevocations1764600000400, RateLimitCounters1764600000500, SocketIoAttachments1764600000600, MessageLogEntries1764700000000];
