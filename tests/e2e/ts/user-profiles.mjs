// Drives uprof with the official TypeScript SDK and prints one JSON line per operation:
//   {"client": "beta" | "ga", "operation": "<name>", "result": <what the SDK returned>}
// Usage: BASE_URL=http://127.0.0.1:8080 API_KEY=sk-uprof-... node user-profiles.mjs
// tests/e2e/test_sdk_typescript.py runs it and checks every line.
import Anthropic from '@anthropic-ai/sdk';

const client = new Anthropic({ apiKey: process.env.API_KEY, baseURL: process.env.BASE_URL, maxRetries: 0 });

function emit(api, operation, result) {
  console.log(JSON.stringify({ client: api, operation, result }));
}

async function ids(page) {
  const seen = [];
  for await (const profile of page) seen.push(profile.id);
  return seen;
}

async function status(promise) {
  try {
    await promise;
    return 200;
  } catch (error) {
    if (error instanceof Anthropic.APIError) return error.status;
    throw error;
  }
}

async function beta() {
  const api = client.beta.userProfiles;
  const created = await api.create({
    name: 'Ada Example',
    external_id: 'user_12345',
    access_type: 'passthrough',
    external_user_onboarded_at: '2026-02-01T09:00:00+01:00',
    metadata: { plan: 'pro', trial: 'yes' },
  });
  emit('beta', 'create', created);
  emit('beta', 'retrieve', await api.retrieve(created.id));
  emit('beta', 'update', await api.update(created.id, { name: 'Ada L', metadata: { plan: 'team', trial: '' } }));
  const others = [];
  for (const name of ['Zed', 'bravo']) others.push((await api.create({ name })).id);
  emit('beta', 'list', {
    created: [created.id, ...others],
    desc: await ids(api.list({ limit: 2 })),
    asc: await ids(api.list({ limit: 1, order: 'asc' })),
    by_name: await ids(api.list({ order_by: 'name', order: 'asc', limit: 2 })),
  });
  emit('beta', 'create_enrollment_url', await api.createEnrollmentURL(created.id));
  emit('beta', 'action_urls.create', await api.actionURLs.create(created.id, { action: { type: 'enroll_end_user' } }));
  emit('beta', 'delete', {
    deleted: await api.delete(created.id),
    retrieve_after: await status(api.retrieve(created.id)),
    listed_after: await ids(api.list()),
  });
  for (const id of others) await api.delete(id);
}

async function ga() {
  if (!client.userProfiles) return; // only 1.x has the GA resource
  const api = client.userProfiles;
  const created = await api.create({
    name: 'Northwind Labs',
    access_type: 'passthrough',
    external_user_details: { reference_id: 'cust_889', country: 'DE', onboarded_at: '2026-02-01T08:00:00Z' },
    metadata: { tier: 'enterprise' },
  });
  emit('ga', 'create', created);
  emit('ga', 'retrieve', await api.retrieve(created.id));
  emit('ga', 'update', await api.update(created.id, { external_user_details: { account_status: 'suspended' } }));
  const other = (await api.create({ name: 'second' })).id;
  emit('ga', 'list', {
    created: [created.id, other],
    desc: await ids(api.list({ limit: 1 })),
    unrestricted: await ids(api.list({ enforcement_status: ['unrestricted'], limit: 1 })),
    banned: await ids(api.list({ enforcement_status: ['banned'] })),
  });
  emit('ga', 'action_urls.create', await api.actionURLs.create(created.id, { action: { type: 'enroll_end_user' } }));
  emit('ga', 'delete', {
    deleted: await api.delete(created.id),
    retrieve_after: await status(api.retrieve(created.id)),
    listed_after: await ids(api.list()),
  });
  await api.delete(other);
}

await beta();
await ga();
