import { provideHttpClient, withFetch } from '@angular/common/http';
import { type ApplicationConfig, inject, provideAppInitializer, provideBrowserGlobalErrorListeners } from '@angular/core';
import { provideRouter, TitleStrategy, withComponentInputBinding } from '@angular/router';
import { routes } from './app.routes';
import { provideChatMarkdown } from './core/markdown';
import { ClientConfigService } from './core/client-config.service';
import { TabTitleStrategy } from './core/notifications/tab-title.strategy';
import { SessionService } from './core/session.service';

export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideHttpClient(withFetch()),
    provideRouter(routes, withComponentInputBinding()),
    // Route titles, with the unread count and the room while signed in (NotificationService).
    { provide: TitleStrategy, useExisting: TabTitleStrategy },
    provideChatMarkdown(),
    // Know whether someone is signed in before the first route guard runs.
    provideAppInitializer(() => inject(SessionService).restore()),
    // The message limit, before a composer counts against it.
    provideAppInitializer(() => inject(ClientConfigService).load()),
  ],
};
