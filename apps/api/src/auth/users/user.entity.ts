import type { KeyBackup } from '@conclave/contracts';
import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'users' })
export class User {
  /** Chosen by the client at registration: the key backup and fingerprints are bound to it. */
  @PrimaryColumn('uuid')
  id!: string;

  /** Lowercase, [a-z0-9_.-]{3,32}. */
  @Column('text')
  username!: string;

  /** bcrypt of the client-derived authKey; the password itself never reaches the server. */
  @Column({ name: 'auth_hash', type: 'text' })
  authHash!: string;

  @Column({ name: 'enc_public_key', type: 'text' })
  encPublicKey!: string;

  @Column({ name: 'sig_public_key', type: 'text' })
  sigPublicKey!: string;

  /** Sealed under the user's wrapKey: opaque to the server. */
  @Column({ name: 'key_backup', type: 'jsonb' })
  keyBackup!: KeyBackup;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'credential_changed_at', type: 'timestamptz', default: () => 'now()' })
  credentialChangedAt!: Date;

  /** A site admin (ADMIN_USERNAMES, `npm run admin -- grant`, or another admin). */
  @Column({ name: 'is_admin', type: 'boolean', default: false })
  isAdmin!: boolean;

  /** Set by an admin: sign-in is refused and the user's sessions and sockets end. */
  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true })
  disabledAt!: Date | null;

  @Column({ name: 'last_seen_at', type: 'timestamptz', nullable: true })
  lastSeenAt!: Date | null;
}
