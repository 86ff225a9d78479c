import { ChangeDetectionStrategy, Component } from '@angular/core';
import { RouterLink } from '@angular/router';

@Component({
  selector: 'cv-not-found',
  imports: [RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <main id="content" class="panel" aria-labelledby="nf-heading">
      <h1 id="nf-heading">Page not found</h1>
      <p>There is nothing at this address.</p>
      <a class="button" routerLink="/">Back to the start page</a>
    </main>
  `,
})
export class NotFoundComponent {}
