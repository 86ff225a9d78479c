import type { Routes } from '@angular/router';
import { signedInGuard, signedOutGuard } from './core/session.guards';

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
    path: 'home',
    title: 'Conclave',
    canActivate: [signedInGuard],
    loadComponent: () => import('./features/home/home.component').then((m) => m.HomeComponent),
  },
  { path: '**', title: 'Not found · Conclave', loadComponent: () => import('./features/not-found/not-found.component').then((m) => m.NotFoundComponent) },
];
