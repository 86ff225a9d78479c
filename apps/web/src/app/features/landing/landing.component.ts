import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { RouterLink } from '@angular/router';
import { LIMITS } from '@conclave/contracts';
import { CryptoService } from '../../core/crypto.service';

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
      text: `Share TXT, PDF and images up to ${LIMITS.fileBytes / (1024 * 1024)} MiB, encrypted before upload and fetched through links that expire.`,
    },
    {
      title: 'Yours to host',
      text: 'One process on an embedded PostgreSQL, or many behind a load balancer. HTTPS only, strict security headers, an audit log.',
    },
  ];
}
