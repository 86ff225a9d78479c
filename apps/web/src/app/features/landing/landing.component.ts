import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { RouterLink } from '@angular/router';
import { ALLOWED_FILE_TYPES, LIMITS } from '@conclave/contracts';
import { CryptoService } from '../../core/crypto.service';

/** "TXT, PDF, …, JPEG and GIF": the extensions the contract allows. */
const fileTypes = new Intl.ListFormat('en', { type: 'conjunction' }).format(Object.keys(ALLOWED_FILE_TYPES).map((ext) => ext.toUpperCase()));

interface Feature {
  title: string;
  text: string;
}

@Component({
  selector: 'cv-landing',
  imports: [RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './landing.component.html',
  styleUrl: './landing.component.css',
})
export class LandingComponent {
  protected readonly crypto = inject(CryptoService);

  protected readonly features: readonly Feature[] = [
    {
      title: 'End-to-end encrypted',
      text: 'Messages and files are sealed in your browser with AES-256-GCM; room keys travel wrapped for each member with RSA-OAEP-4096. The server only stores ciphertext.',
    },
    {
      title: 'Rooms by code',
      text: `Create a room, share its ${LIMITS.roomCodeLength}-character code, and optionally protect it with a password and a member limit.`,
    },
    {
      title: 'Files that stay private',
      text: `Share ${fileTypes} files up to ${LIMITS.fileBytes / (1024 * 1024)} MiB, encrypted in your browser before upload, so neither the server nor the storage provider can read them, and fetched through links that expire (after 24 hours by default).`,
    },
    {
      title: 'Yours to host',
      text: 'One process on an embedded PostgreSQL, or many behind a load balancer. HTTPS only, strict security headers, an audit log.',
    },
  ];
}
