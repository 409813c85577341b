// STAND-IN for embedded:io/socket/tcp/tls on the virtual network, test only: refused like TCP.
export { default } from './tcp';
