import { describe, expect, it } from 'vitest';
import { createRedactor, isSecretName, redact } from '../../src/ops/redact.js';

describe('redact', () => {
  it.each([
    ['OpenAI key', 'using sk-proj-Xq3TbV9mK2pL7wR4nZ8cY1hF6dJ0sA5gE now', 'using sk-*** now'],
    ['OpenAI legacy key', 'key sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL', 'key sk-***'],
    ['Anthropic key', '{sk-ant-api03-Hn4Kd8Wq2Zr6Tp0Lm5Xv9Bc3Fj7Gs1Ya}', '{sk-ant-***}'],
    [
      'Anthropic key in prose',
      'failed for sk-ant-api03-Hn4Kd8Wq2Zr6Tp0Lm5Xv9Bc3Fj7Gs1Ya today',
      'failed for sk-ant-*** today',
    ],
    ['Slack bot token', 'token xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp', 'token xoxb-***'],
    ['Slack user token', '(xoxp-12-34-56-abcdef)', '(xoxp-***)'],
    ['Slack app token', 'xapp-1-A0123-456-abcdef0123', 'xapp-***'],
    ['AWS access key id', 'id AKIAIOSFODNN7EXAMPLE used', 'id AKIA*** used'],
    ['AWS temporary key id', 'ASIAY34FZKBOKMUTVV7A', 'ASIA***'],
    [
      'AWS secret in a credentials file',
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'aws_secret_access_key = ***',
    ],
    [
      'AWS secret inline',
      'set AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'set AWS_SECRET_ACCESS_KEY: ***',
    ],
    ['Postgres URL', 'retry postgresql://app:hunter2@db/x', 'retry postgresql://app:***@db/x'],
    ['Redis URL without user', 'redis://:s3cret@cache:6379/0', 'redis://:***@cache:6379/0'],
    ['password with @', 'mysql://root:p@ss@db.internal/app', 'mysql://root:***@db.internal/app'],
    [
      'https URL',
      'GET https://deploy:tok3n@git.example.com/repo.git',
      'GET https://deploy:***@git.example.com/repo.git',
    ],
    ['Stripe secret key', 'sk_live_51HqTestKey0123456789abcdef', 'sk_live_***'],
    ['Stripe test key', '"sk_test_4eC39HqLyjWDarjtT1zdp7dc"', '"sk_test_***"'],
    ['Stripe restricted key', 'rk_live_51HqRestricted0123456789', 'rk_live_***'],
    ['Stripe webhook secret', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_***'],
    ['Authorization Bearer', 'Authorization: Bearer abc.def.ghi123', 'Authorization: Bearer ***'],
    ['Authorization Basic', "-H 'authorization: Basic dXNlcjpwYXNz'", "-H 'authorization: Basic ***'"],
    ['bare Bearer', 'sent Bearer 0123456789abcdefXYZ', 'sent Bearer ***'],
    ['API key header', "curl -H 'X-Api-Key: 5f2b7c9e1a' x", "curl -H 'X-Api-Key: ***' x"],
    ['GitHub token', 'ghp_0123456789abcdefghijABCDEFGHIJ012345', 'ghp_***'],
    ['JWT', 'cookie eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEyMyJ9.c2lnbmF0dXJl end', 'cookie *** end'],
    ['query string token', 'GET /cb?code=1&access_token=abc123&state=x', 'GET /cb?code=1&access_token=***&state=x'],
    [
      'JSON password',
      '{"user":"bob","password":"hunter2","db_url":"x"}',
      '{"user":"bob","password":"***","db_url":"x"}',
    ],
    ['inline NAME=value', 'boot ok NEXTAUTH_SECRET=7f3c9a1e5b2d region=iad', 'boot ok NEXTAUTH_SECRET=*** region=iad'],
  ])('masks %s', (_kind, input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it('masks the values of `atom-cli secrets list` and keeps the names', () => {
    const listing = [
      'DATABASE_URL=postgresql://atom_app:hunter2@ep-calm-river-123456.us-east-2.aws.neon.tech/atom',
      'NEXTAUTH_SECRET=7f3c9a1e5b2d4c6e8f0a1b3c5d7e9f11',
      'NEXTAUTH_URL=https://acme.atomagentos.com',
      'OPENAI_API_KEY=sk-proj-Xq3TbV9mK2pL7wR4nZ8cY1hF6dJ0sA5gE',
      'ANTHROPIC_API_KEY=sk-ant-api03-Hn4Kd8Wq2Zr6Tp0Lm5Xv9Bc3Fj7Gs1Ya',
      'REDIS_URL=rediss://default:AbCdEf0123456789@us1-fancy-cat-12345.upstash.io:6379',
      'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE',
      'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'STRIPE_SECRET_KEY=sk_live_51HqTestKey0123456789abcdef',
      'SES_AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'SES_REGION=us-east-1',
      'SENTRY_DSN=https://abc123@o1.ingest.sentry.io/42',
      'DB_PASSWORD=correct horse battery staple',
      'export GITHUB_TOKEN="ghp_notlongenough"',
      'PRIVATE_SIGNING=abc',
      '  smtp_pass: hunter2',
      'LOG_LEVEL=info',
      '',
    ].join('\n');
    expect(redact(listing)).toBe(
      [
        'DATABASE_URL=***',
        'NEXTAUTH_SECRET=***',
        'NEXTAUTH_URL=https://acme.atomagentos.com',
        'OPENAI_API_KEY=***',
        'ANTHROPIC_API_KEY=***',
        'REDIS_URL=***',
        'AWS_ACCESS_KEY_ID=***',
        'AWS_SECRET_ACCESS_KEY=***',
        'STRIPE_SECRET_KEY=***',
        'SES_AWS_SECRET_ACCESS_KEY=***',
        'SES_REGION=us-east-1',
        'SENTRY_DSN=***',
        'DB_PASSWORD=***',
        'export GITHUB_TOKEN=***',
        'PRIVATE_SIGNING=***',
        '  smtp_pass: ***',
        'LOG_LEVEL=info',
        '',
      ].join('\n'),
    );
  });

  it('keeps CRLF line ends and leaves text without secrets untouched', () => {
    expect(redact('API_KEY=abc\r\nok\r\n')).toBe('API_KEY=***\r\nok\r\n');
    const plain = [
      '2025-11-27T21:04:11.000Z INFO  [web] GET /api/health 200 12ms',
      'https://acme.atomagentos.com:443/api/alive ok',
      'task-runner risk-assessment sk-short PWD=/app',
      'Machines: 2 total, 2 passing',
    ].join('\n');
    expect(redact(plain)).toBe(plain);
  });

  it('is idempotent', () => {
    const text = 'OPENAI_API_KEY=sk-proj-Xq3TbV9mK2pL7wR4nZ8cY1hF6dJ0sA5gE\nx postgresql://a:b@c/d xoxb-12345-abc\n';
    expect(redact(redact(text))).toBe(redact(text));
  });

  it('masks the body of a PEM private key, in several lines or in one', () => {
    const pem = [
      'key file:',
      '-----BEGIN RSA PRIVATE KEY-----',
      'MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF0qJvV4bXd7m',
      'R7Qm1kPq2nVz8cXw9yTf6hUj3sLe5aKb4oIg7dNp0rMv1uWx',
      '-----END RSA PRIVATE KEY-----',
      'done',
    ].join('\n');
    expect(redact(pem)).toBe(
      ['key file:', '-----BEGIN RSA PRIVATE KEY-----', '***', '-----END RSA PRIVATE KEY-----', 'done'].join('\n'),
    );
    expect(redact('cert="-----BEGIN PRIVATE KEY-----\\nMIIEv\\n-----END PRIVATE KEY-----\\n"')).toBe(
      'cert="-----BEGIN PRIVATE KEY-----***-----END PRIVATE KEY-----\\n"',
    );
  });

  it('names that look secret', () => {
    for (const name of ['OPENAI_API_KEY', 'db_password', 'SENTRY_DSN', 'GH_TOKEN', 'PRIVATE_PEM', 'SMTP_PASS']) {
      expect(isSecretName(name), name).toBe(true);
    }
    for (const name of ['PATH', 'HOME', 'PWD', 'SES_REGION', 'NEXTAUTH_URL', 'LOG_LEVEL']) {
      expect(isSecretName(name), name).toBe(false);
    }
  });
});

describe('createRedactor', () => {
  const sample = [
    'boot OPENAI_API_KEY=sk-proj-Xq3TbV9mK2pL7wR4nZ8cY1hF6dJ0sA5gE',
    'retry postgresql://app:hunter2@db/x',
    'provider sk-ant-api03-Hn4Kd8Wq2Zr6Tp0Lm5Xv9Bc3Fj7Gs1Ya failed',
    'notify xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp',
    'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEyMyJ9.c2lnbmF0dXJl',
    'AKIAIOSFODNN7EXAMPLE sk_live_51HqTestKey0123456789abcdef whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    '-----BEGIN PRIVATE KEY-----',
    'MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn',
    '-----END PRIVATE KEY-----',
    'tail without newline DB_PASSWORD=hunter2',
  ].join('\n');
  const secrets = [
    'Xq3TbV9mK2pL7wR4',
    'hunter2',
    'Hn4Kd8Wq2Zr6',
    'AbCdEfGhIjKl',
    'eyJzdWIi',
    'IOSFODNN7',
    '51HqTest',
    'MfKQ9r8G',
    'MIIEow',
  ];

  const streamed = (chunks: string[]): string => {
    const redactor = createRedactor();
    return chunks.map((chunk) => redactor.push(chunk)).join('') + redactor.flush();
  };

  it('gives what redact gives, wherever the text is split in two', () => {
    const whole = redact(sample);
    for (const secret of secrets) expect(whole).not.toContain(secret);
    for (let at = 0; at <= sample.length; at += 1) {
      expect(streamed([sample.slice(0, at), sample.slice(at)])).toBe(whole);
    }
  });

  it('gives what redact gives in one-character chunks and in random chunks', () => {
    const whole = redact(sample);
    expect(streamed([...sample])).toBe(whole);
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 50; round += 1) {
      const chunks: string[] = [];
      for (let at = 0; at < sample.length; ) {
        const size = 1 + Math.floor(random() * 40);
        chunks.push(sample.slice(at, at + size));
        at += size;
      }
      expect(streamed(chunks)).toBe(whole);
    }
  });

  it('releases nothing of an open line, so a half-written secret never leaks', () => {
    const redactor = createRedactor();
    expect(redactor.push('ok\nkey sk-ant-api03-Hn4K')).toBe('ok\n');
    expect(redactor.push('d8Wq2Zr6Tp0Lm5Xv9Bc3Fj7Gs1Ya\n')).toBe('key sk-ant-***\n');
    expect(redactor.flush()).toBe('');
  });

  it('cuts a very long line to keep memory bounded, preferring a blank', () => {
    const redactor = createRedactor({ maxLineChars: 100 });
    const first = redactor.push(`${'a'.repeat(80)} token sk-proj-Xq3TbV9mK2pL7wR4nZ8cY1hF6dJ0sA5gE`);
    expect(first).toBe(`${'a'.repeat(80)} token `);
    expect(redactor.flush()).toBe('sk-***');
  });
});

describe('createRedactor: release', () => {
  it('gives the lines held back for the start of a known value, as they are; the rest is masked when it comes', () => {
    const redactor = createRedactor({ known: ['production'] });
    expect(redactor.push('Deploying release to prod\nuct')).toBe('');
    expect(redactor.release()).toBe('Deploying release to prod\n');
    expect(redactor.release()).toBe('');
    expect(redactor.push('ion ok\n')).toBe('*** ok\n');
    expect(redactor.flush()).toBe('');
  });
});
