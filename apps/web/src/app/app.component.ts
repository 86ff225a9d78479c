import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { RouterOutlet } from '@angular/router';
import { RouteFocusService } from './core/route-focus.service';

@Component({
  selector: 'cv-root',
  imports: [RouterOutlet],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <!-- The first stop of the Tab key: past the top bar and the rooms list to the screen itself. -->
    <a class="skip-link" href="#content" (click)="skip($event)">Skip to content</a>
    <router-outlet />
  `,
})
export class AppComponent {
  private readonly focus = inject(RouteFocusService);

  constructor() {
    this.focus.start();
  }

  protected skip(event: Event): void {
    // With <base href="/">, following "#content" would leave the screen: focus its heading instead.
    if (this.focus.focusContent()) event.preventDefault();
  }
}
