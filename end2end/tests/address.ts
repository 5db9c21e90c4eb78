// Each person in a spec gets an address of their own (the server trusts X-Forwarded-For from
// 127.0.0.1), so the sign-up throttle counts them apart.
export function ownAddress(): { 'X-Forwarded-For': string } {
  const n = () => Math.floor(Math.random() * 250) + 1;
  return { 'X-Forwarded-For': `198.18.${n()}.${n()}` };
}
