import type { Routes } from '@angular/router';

export const routes: Routes = [
  { path: '', title: 'Conclave', loadComponent: () => import('./features/landing/landing.component').then((m) => m.LandingComponent) },
  {
    path: 'sign-in',
    title: 'Sign in · Conclave',
    data: { action: 'sign-in' },
    loadComponent: () => import('./features/auth-pending/auth-pending.component').then((m) => m.AuthPendingComponent),
  },
  {
    path: 'sign-up',
    title: 'Create account · Conclave',
    data: { action: 'sign-up' },
    loadComponent: () => import('./features/auth-pending/auth-pending.component').then((m) => m.AuthPendingComponent),
  },
  { path: '**', title: 'Not found · Conclave', loadComponent: () => import('./features/not-found/not-found.component').then((m) => m.NotFoundComponent) },
];
