// STAND-IN for Moddable's `ssl/session` on the virtual network, test only (see ../ssl-session.ts).
export { default } from '../ssl-session';
