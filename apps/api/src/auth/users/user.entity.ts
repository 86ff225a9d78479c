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
}
