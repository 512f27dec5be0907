import * as dgram from 'dgram';

/**
 * A tiny authoritative DNS responder on 127.0.0.1 (UDP) for tests: A queries for `name` (also when the client's resolver
 * appended a search domain) are answered with `addresses`; AAAA and every other type get an empty NOERROR answer;
 * other names get NXDOMAIN. Enough for Caddy's `dynamic a` with `resolvers`.
 */
export class DnsResponder {
  /** Starts on a random free UDP port. */
  public static async start(name: string, addresses: readonly string[]): Promise<DnsResponder> {
    const socket = dgram.createSocket('udp4');
    const responder = new DnsResponder(socket, name.toLowerCase().replace(/\.$/, ''), addresses);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    socket.on('message', (msg, rinfo) => {
      const reply = responder.answer(msg);
      if (reply) socket.send(reply, rinfo.port, rinfo.address);
    });
    return responder;
  }

  /** A queries answered so far. */
  public queries = 0;

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly name: string,
    private addresses: readonly string[],
  ) {}

  /** `127.0.0.1:<port>`. */
  public get address(): string {
    const a = this.socket.address();
    return `${a.address}:${a.port}`;
  }

  /** Changes the answer (pods joining or leaving). */
  public setAddresses(addresses: readonly string[]): void {
    this.addresses = addresses;
  }

  public close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private answer(msg: Buffer): Buffer | undefined {
    if (msg.length < 12) return undefined;
    const qdcount = msg.readUInt16BE(4);
    if (qdcount !== 1) return undefined;
    // Question: labels, then QTYPE and QCLASS.
    const labels: string[] = [];
    let off = 12;
    while (off < msg.length && msg[off] !== 0) {
      const len = msg[off];
      if (len > 63 || off + 1 + len > msg.length) return undefined;
      labels.push(msg.subarray(off + 1, off + 1 + len).toString('ascii').toLowerCase());
      off += 1 + len;
    }
    off += 1;
    if (off + 4 > msg.length) return undefined;
    const qtype = msg.readUInt16BE(off);
    const question = msg.subarray(12, off + 4);
    const qname = labels.join('.');
    const ours = qname === this.name || qname.startsWith(`${this.name}.`);
    const answers = ours && qtype === 1 ? this.addresses : [];
    if (ours && qtype === 1) this.queries++;

    const header = Buffer.alloc(12);
    header.writeUInt16BE(msg.readUInt16BE(0), 0); // id
    const rd = msg[2] & 0x01;
    header[2] = 0x84 | rd; // QR, AA, RD copied
    header[3] = 0x80 | (ours ? 0 : 3); // RA, rcode NOERROR or NXDOMAIN
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const records = answers.map((ip) => {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0); // pointer to the question name
      rr.writeUInt16BE(1, 2); // A
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(1, 6); // TTL 1s
      rr.writeUInt16BE(4, 10);
      ip.split('.').forEach((o, i) => (rr[12 + i] = Number(o)));
      return rr;
    });
    return Buffer.concat([header, question, ...records]);
  }
}
