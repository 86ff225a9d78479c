import type { Routes } from '@angular/router';

/** /admin/…: the console's sections (the admin guard is on the parent route). */
export const ADMIN_ROUTES: Routes = [
  {
    path: '',
    loadComponent: () => import('./admin.component').then((m) => m.AdminComponent),
    children: [
      { path: '', pathMatch: 'full', redirectTo: 'rooms' },
      { path: 'rooms', title: 'Rooms · Administration · Conclave', loadComponent: () => import('./admin-rooms.component').then((m) => m.AdminRoomsComponent) },
      { path: 'users', title: 'Users · Administration · Conclave', loadComponent: () => import('./admin-users.component').then((m) => m.AdminUsersComponent) },
      { path: 'tokens', title: 'API tokens · Administration · Conclave', loadComponent: () => import('./admin-tokens.component').then((m) => m.AdminTokensComponent) },
      { path: 'audit', title: 'Audit log · Administration · Conclave', loadComponent: () => import('./admin-audit.component').then((m) => m.AdminAuditComponent) },
    ],
  },
];
