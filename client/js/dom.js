// Tiny DOM helpers shared by every view.

export const $ = (id) => document.getElementById(id);
