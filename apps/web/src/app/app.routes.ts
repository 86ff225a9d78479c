import type { Routes } from '@angular/router';
import { adminGuard, signedInGuard, signedOutGuard } from './core/session.guards';

export const routes: Routes = [
  { path: '', title: 'Conclave', loadComponent: () => import('./features/landing/landing.component').then((m) => m.LandingComponent) },
  {
    path: 'sign-up',
    title: 'Create account · Conclave',
    canActivate: [signedOutGuard],
    loadComponent: () => import('./features/sign-up/sign-up.component').then((m) => m.SignUpComponent),
  },
  {
    path: 'sign-in',
    title: 'Sign in · Conclave',
    canActivate: [signedOutGuard],
    loadComponent: () => import('./features/sign-in/sign-in.component').then((m) => m.SignInComponent),
  },
  {
    // An invite link (https://HOST/join/CODE#SECRET), signed in or not: the secret stays in the fragment.
    path: 'join/:code',
    title: 'Invitation · Conclave',
    loadComponent: () => import('./features/join-invite/join-invite.component').then((m) => m.JoinInviteComponent),
  },
  {
    // The signed-in frame (rooms sidebar, live connection) around the lobby and the rooms.
    path: '',
    canActivate: [signedInGuard],
    loadComponent: () => import('./features/dashboard/dashboard.component').then((m) => m.DashboardComponent),
    children: [
      { path: 'home', title: 'Conclave', loadComponent: () => import('./features/home/home.component').then((m) => m.HomeComponent) },
      { path: 'account', title: 'Account · Conclave', loadComponent: () => import('./features/account/account.component').then((m) => m.AccountComponent) },
      { path: 'rooms/:code', title: 'Room · Conclave', loadComponent: () => import('./features/room/room.component').then((m) => m.RoomComponent) },
      {
        // The admin console (site admins only; the admin API refuses everyone else too).
        path: 'admin',
        title: 'Administration · Conclave',
        canActivate: [adminGuard],
        loadChildren: () => import('./features/admin/admin.routes').then((m) => m.ADMIN_ROUTES),
      },
    ],
  },
  { path: '**', title: 'Not found · Conclave', loadComponent: () => import('./features/not-found/not-found.component').then((m) => m.NotFoundComponent) },
];
