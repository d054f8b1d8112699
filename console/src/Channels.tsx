import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Checkbox, Descriptions, Drawer, Form, Input, InputNumber, Select, Space, Table, Typography, message } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Outlet, Route, Routes, useNavigate, useParams } from 'react-router';
import { channelCreateSchema, channelEditSchema, channelTestSchema, ID_ATTRIBUTE, MAX_HEADERS, MAX_PARAMS, savedChannelTestSchema, templateParamTypes } from '../../contracts/channel.js';
import { batchedBodyFormats, bodyFormats, type BodyFormat } from '../../contracts/body-formats.js';
import { api, ApiFailure, unwrap } from './api.js';
import { DeleteButton } from './DeleteButton.js';
import { DurationInput } from './inputs.js';
import { checkedBody, createFormIssues, failureText, zodIssues, type Issue } from './issues.js';
import type { components } from './api-schema.js';
import { NotFound, useListState, useOverList } from './routes.js';

type Channel = components['schemas']['Channel'];
type TestResult = components['schemas']['TestSendResult'];


/** The verdict in words, as the seed asks: "endpoint answered 500", "connection refused", "timed out after 5 s". */
export function useVerdictText() {
  const { t } = useTranslation();
  return (result: TestResult, timeoutMs: number) => {
    if (result.verdict === 'ok') return t('verdictOk', { status: result.status });
    if (result.verdict === 'non_2xx') return t('verdictNon2xx', { status: result.status });
    if (result.verdict === 'refused') return t('verdictRefused');
    if (result.verdict === 'timeout') return t('verdictTimeout', { s: timeoutMs / 1000 });
    return t('verdictOther', { verdict: result.error ?? result.verdict });
  };
}

function TestPanel({ result, timeoutMs, temporarySecret }: { result: TestResult; timeoutMs: number; temporarySecret: boolean }) {
  const { t } = useTranslation();
  const verdictText = useVerdictText();
  return (
    <Card size="small" title={t('testResult')} data-testid="test-result">
      <Alert type={result.verdict === 'ok' ? 'success' : 'error'} message={verdictText(result, timeoutMs)} data-testid="verdict" />
      {/* The secret is generated when the channel is saved: this request was signed with a throwaway one. */}
      {temporarySecret && <Alert type="warning" showIcon style={{ marginTop: 8 }} message={t('temporarySecret')} data-testid="temporary-secret" />}
      <Descriptions column={1} size="small">
        <Descriptions.Item label={t('request')}><pre>{JSON.stringify(result.request, null, 2)}</pre></Descriptions.Item>
        <Descriptions.Item label={t('response')}><pre>{JSON.stringify(result.response, null, 2)}</pre></Descriptions.Item>
      </Descriptions>
    </Card>
  );
}

function ChannelForm({ channel, onDone }: { channel: Channel | null; onDone: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm();
  const client = useQueryClient();
  const [revealed, setRevealed] = useState<string | null>(null);
  const [test, setTest] = useState<TestResult | null>(null);
  const [testedWithTemporary, setTestedWithTemporary] = useState(false);
  const auth = Form.useWatch(['auth', 'type'], form) as string | undefined;
  const regenerate = Form.useWatch(['auth', 'regenerate'], form) as boolean | undefined;
  const format = Form.useWatch('format', form) as BodyFormat | undefined;

  const stored = channel?.auth as StoredAuth | undefined;
  /**
   * Where an issue shows on screen: the API names "auth" when a moved URL needs
   * the credentials again (shown at the credential field), and a user-attribute
   * parameter's `attribute` is the "取值" choice unless it reads a profile attribute.
   */
  function place(i: Issue): Issue {
    if (i.path === 'auth') {
      const authType = form.getFieldValue(['auth', 'type']) as string | undefined;
      return { ...i, path: authType === 'secret' ? 'auth.secret' : authType === 'basic' ? 'auth.password' : 'auth.type' };
    }
    // The form asks for seconds; the API names timeoutMs.
    if (i.path === 'timeoutMs') return { ...i, path: 'timeoutSeconds' };
    if (i.path === 'headers' || i.path.startsWith('headers.')) return { ...i, path: headerRowPath(form.getFieldValue('headerRows') as HeaderRow[] | undefined, i) };
    const attr = /^userAttributeParams\.(\d+)\.(attribute|identity)$/.exec(i.path);
    if (attr && form.getFieldValue(['userAttributeParams', Number(attr[1]), 'source']) !== 'attribute') return { ...i, path: `userAttributeParams.${attr[1]}.source` };
    return i;
  }
  /** The form's issues as the API would find them, for what is on screen now. */
  function check(): Issue[] {
    const body = formBody(form.getFieldsValue(true) as FormValues, stored);
    // The API's own body schemas: an edit may leave a password out (the stored one is kept).
    const parsed = (channel ? channelEditSchema : channelCreateSchema).safeParse(body);
    return [...(parsed.success ? [] : zodIssues(parsed.error)), ...headerRowIssues(form.getFieldValue('headerRows') as HeaderRow[] | undefined)];
  }
  // check and place read everything from the form itself, so the first render's functions stay right.
  const issues = useMemo(() => createFormIssues(form, t, check, place), [form, t]);
  /** The form as a create body, or on an edit as a PATCH body (also what Test sends then). */
  function values() {
    const found = check();
    if (found.length > 0) {
      issues.show(found, false);
      return null;
    }
    return formBody(form.getFieldsValue(true) as FormValues, stored);
  }
  /** Sample values in the operator's language for text parameters without a default ("示例手机号", not "sample phone"). */
  function sampleValues(): Record<string, unknown> {
    const raw = form.getFieldsValue(true) as FormValues;
    const samples: Record<string, unknown> = {};
    for (const p of raw.templateParams ?? []) if ((p.type ?? 'text') === 'text' && (p.default === undefined || p.default === '') && typeof p.name === 'string') samples[p.name] = t('sampleValue', { name: p.displayName ?? p.name });
    for (const p of raw.userAttributeParams ?? []) if (p.source === 'attribute' && (p.default === undefined || p.default === '') && typeof p.name === 'string') samples[p.name] = t('sampleValue', { name: p.attribute ?? p.name });
    return samples;
  }
  /** An unsaved channel (or one whose secret is regenerated) has no secret yet: the API signs its test with a throwaway one. */
  const raw = Form.useWatch([], form) as FormValues | undefined;
  const temporarySecret = raw?.auth?.type === 'secret' && !raw.auth.secret?.trim() && (!channel || Boolean(raw.auth.regenerate) || stored?.type !== 'secret');
  const save = useMutation({
    mutationFn: async (body: Record<string, unknown>) =>
      channel
        ? unwrap(api.PATCH('/api/channels/{id}', { params: { path: { id: channel.id } }, body: checkedBody(channelEditSchema, body, t('fixFields')) }))
        : unwrap(api.POST('/api/channels', { body: checkedBody(channelCreateSchema, body, t('fixFields')) })),
    onSuccess: (saved) => {
      void client.invalidateQueries({ queryKey: ['channels'] });
      void message.success(t('saved'));
      // Only an answer that created or replaced the secret shows it unmasked, and only that once.
      const secret = (saved.auth as { secret?: string }).secret;
      if (secret && !secret.includes(MASK)) setRevealed(secret);
      else onDone();
    },
    onError: (error) => (error instanceof ApiFailure && (error.body.issues ?? []).length > 0 ? issues.show(error.body.issues ?? [], true) : void message.error(failureText(t, error))),
  });
  const runTest = useMutation({
    mutationFn: async (body: Record<string, unknown>) =>
      (channel
        ? unwrap(api.POST('/api/channels/{id}/test', { params: { path: { id: channel.id } }, body: checkedBody(savedChannelTestSchema, body, t('fixFields')) }))
        : unwrap(api.POST('/api/channels/test', { body: checkedBody(channelTestSchema, body, t('fixFields')) }))),
    onSuccess: (result) => { setTest(result); setTestedWithTemporary(temporarySecret); },
    onError: (error) => (error instanceof ApiFailure && (error.body.issues ?? []).length > 0 ? issues.show(error.body.issues ?? [], true) : void message.error(failureText(t, error))),
  });

  if (revealed) {
    return (
      <Space direction="vertical">
        <Alert type="warning" message={t('secretShownOnce')} />
        <Typography.Text code copyable={{ text: revealed }} data-testid="revealed-secret">{revealed}</Typography.Text>
        <Button onClick={onDone} data-testid="secret-ok">{t('ok')}</Button>
      </Space>
    );
  }
  const rows = (name: 'userAttributeParams' | 'templateParams') => (
    <Form.List name={name}>
      {(fields, { add, remove }) => (
        <Card size="small" title={t(name)} data-testid={name}>
          {fields.map((field) => (
            <Space key={field.key} align="baseline" wrap>
              <Form.Item name={[field.name, 'name']} label={t('paramName')}><Input /></Form.Item>
              {name === 'userAttributeParams' ? (
                <>
                  <Form.Item name={[field.name, 'source']} label={t('valueSource')} initialValue="login">
                    <Select style={{ width: 150 }} data-testid={`source-${field.name}`} options={(['login', 'visitor', 'attribute'] as const).map((v) => ({ value: v, label: t(`src_${v}`) }))} />
                  </Form.Item>
                  <Form.Item noStyle shouldUpdate>
                    {() => form.getFieldValue(['userAttributeParams', field.name, 'source']) === 'attribute' && (
                      <Form.Item name={[field.name, 'attribute']} label={t('attribute')}><Input placeholder="name" data-testid={`attribute-${field.name}`} /></Form.Item>
                    )}
                  </Form.Item>
                </>
              ) : (
                <>
                  <Form.Item name={[field.name, 'displayName']} label={t('displayName')}><Input /></Form.Item>
                  <Form.Item name={[field.name, 'type']} label={t('type')} initialValue="text"><Select style={{ width: 110 }} options={templateParamTypes.map((v) => ({ value: v, label: t(`opt_${v}`, { defaultValue: v }) }))} /></Form.Item>
                </>
              )}
              <Form.Item name={[field.name, 'default']} label={t('default')}><Input /></Form.Item>
              <Button onClick={() => remove(field.name)}>{t('remove')}</Button>
            </Space>
          ))}
          <Button onClick={() => add()} disabled={fields.length >= MAX_PARAMS} title={fields.length >= MAX_PARAMS ? t('limitReached') : undefined} data-testid={`add-${name}`}>
            {t('add')}
          </Button>
        </Card>
      )}
    </Form.List>
  );

  return (
    <Form form={form} layout="vertical" onValuesChange={(changed: Record<string, unknown>) => issues.recheck(changed)}
      initialValues={channel ? editValues(channel) : { method: 'POST', auth: { type: 'secret' }, userAttributeParams: [], templateParams: [], headerRows: [], timeoutSeconds: 10, format: 'standard', batchSize: 100 }}>
      <Form.Item name="name" label={t('name')}><Input /></Form.Item>
      <Form.Item name="url" label={t('url')}><Input /></Form.Item>
      <Form.Item name="method" label={t('method')}><Select options={['POST', 'PUT', 'GET'].map((v) => ({ value: v }))} /></Form.Item>
      <Form.Item name={['auth', 'type']} label={t('authType')}><Select options={(['secret', 'basic', 'none'] as const).map((v) => ({ value: v, label: t(`opt_${v}`) }))} /></Form.Item>
      {auth === 'secret' && (
        <Form.Item name={['auth', 'secret']} label={t('secret')}>
          <Input.Password disabled={regenerate} placeholder={stored?.type === 'secret' ? t('secretKept', { masked: stored.secret }) : t('secretGenerated')} data-testid="secret-input" />
        </Form.Item>
      )}
      {auth === 'secret' && stored?.type === 'secret' && (
        <Form.Item name={['auth', 'regenerate']} valuePropName="checked"><Checkbox data-testid="regenerate-secret">{t('secretRegenerate')}</Checkbox></Form.Item>
      )}
      {auth === 'basic' && (
        <>
          <Form.Item name={['auth', 'username']} label={t('username')}><Input /></Form.Item>
          <Form.Item name={['auth', 'password']} label={t('password')}><Input.Password placeholder={stored?.type === 'basic' ? t('passwordKept') : undefined} /></Form.Item>
        </>
      )}
      {rows('userAttributeParams')}
      {rows('templateParams')}
      <Form.List name="headerRows">
        {(fields, { add, remove }) => (
          <Card size="small" title={t('customHeaders')} extra={<Typography.Text type="secondary">{t('customHeadersHint')}</Typography.Text>} style={{ marginTop: 16 }} data-testid="header-rows">
            {fields.map((field) => (
              <Space key={field.key} align="baseline" wrap data-testid={`header-row-${field.name}`}>
                <Form.Item name={[field.name, 'name']} label={t('headerName')}><Input placeholder="X-Tenant" style={{ width: 220 }} data-testid={`header-name-${field.name}`} /></Form.Item>
                <Form.Item name={[field.name, 'value']} label={t('headerValue')}><Input style={{ width: 320 }} data-testid={`header-value-${field.name}`} /></Form.Item>
                <Button onClick={() => remove(field.name)}>{t('remove')}</Button>
              </Space>
            ))}
            <div>
              <Button onClick={() => add({ name: '', value: '' })} disabled={fields.length >= MAX_HEADERS} title={fields.length >= MAX_HEADERS ? t('headersLimitReached', { n: MAX_HEADERS }) : undefined} data-testid="add-header">
                {t('add')}
              </Button>
            </div>
          </Card>
        )}
      </Form.List>
      <Card size="small" title={t('deliverySettings')} style={{ marginTop: 16 }} data-testid="delivery-settings">
        <Space wrap align="start">
          <Form.Item name="timeoutSeconds" label={t('requestTimeout')}><InputNumber min={0.1} max={60} step={1} suffix={t('unit_second')} style={{ width: 140 }} data-testid="timeout-seconds" /></Form.Item>
          <Form.Item name={['rateLimit', 'perSecond']} label={t('rateLimitPerSecond')} extra={t('emptyIsUnlimited')}>
            <InputNumber min={1} max={10000} precision={0} suffix={t('perSecondUnit')} style={{ width: 160 }} data-testid="rate-per-second" />
          </Form.Item>
          <Form.Item name={['rateLimit', 'concurrency']} label={t('rateLimitConcurrency')} extra={t('emptyIsUnlimited')}>
            <InputNumber min={1} max={1000} precision={0} suffix={t('concurrencyUnit')} style={{ width: 160 }} data-testid="rate-concurrency" />
          </Form.Item>
          <Form.Item name={['userCap', 'max']} label={t('userCapMax')} extra={t('userCapHint')}><InputNumber min={1} max={1000} precision={0} data-testid="user-cap-max" /></Form.Item>
          <Form.Item name={['userCap', 'per']} label={t('userCapPer')}><DurationInput defaultUnit="day" testId="user-cap-per" /></Form.Item>
        </Space>
        <Space wrap align="start">
          <Form.Item name="format" label={t('bodyFormat')}>
            <Select style={{ width: 260 }} data-testid="body-format" options={bodyFormats.map((v) => ({ value: v, label: t(`format_${v}`) }))} />
          </Form.Item>
          {/* Only a batched format (GrowingIO) sends several users per request. */}
          {format !== undefined && batchedBodyFormats.has(format) && (
            <Form.Item name="batchSize" label={t('batchSize')} extra={t('batchSizeHint')}>
              <InputNumber min={1} max={1000} precision={0} suffix={t('usersUnit')} style={{ width: 160 }} data-testid="batch-size" />
            </Form.Item>
          )}
        </Space>
      </Card>
      <Space style={{ marginTop: 16 }}>
        <Button type="primary" loading={save.isPending} onClick={() => { const v = values(); if (v) save.mutate(v); }}>{t('save')}</Button>
        <Button loading={runTest.isPending} onClick={() => { const v = values(); if (v) runTest.mutate({ ...v, sampleValues: sampleValues() }); }}>{t('test')}</Button>
        <Button onClick={onDone}>{t('cancel')}</Button>
      </Space>
      {test && <TestPanel result={test} temporarySecret={testedWithTemporary} timeoutMs={Math.round(((form.getFieldValue('timeoutSeconds') as number | undefined) ?? 10) * 1000)} />}
    </Form>
  );
}

const MASK = '********';
type StoredAuth = { type: 'secret'; secret: string } | { type: 'basic'; username: string; password: string } | { type: 'none' };
interface FormValues {
  name?: string;
  url?: string;
  method?: string;
  auth?: { type?: string; secret?: string; regenerate?: boolean; username?: string; password?: string };
  userAttributeParams?: ({ source?: 'login' | 'visitor' | 'attribute'; name?: string; attribute?: string; identity?: string; default?: unknown } & Record<string, unknown>)[];
  templateParams?: ({ name?: string; displayName?: string; type?: string; default?: unknown } & Record<string, unknown>)[];
  headerRows?: HeaderRow[];
  timeoutSeconds?: number | null;
  rateLimit?: { perSecond?: number | null; concurrency?: number | null };
  format?: BodyFormat;
  batchSize?: number | null;
  userCap?: { max?: number | null; per?: string };
}
interface HeaderRow { name?: string; value?: string }

/** The rows the form sends: a row with neither a name nor a value is an unused blank. */
const usedHeaderRows = (rows: HeaderRow[] | undefined) => (rows ?? []).map((r, index) => ({ index, name: (r?.name ?? '').trim(), value: r?.value ?? '' })).filter((r) => r.name !== '' || r.value !== '');

/**
 * What the API cannot see in a headers object: a value without a name, and a
 * name given twice (HTTP names ignore case, and the object would keep only one).
 */
function headerRowIssues(rows: HeaderRow[] | undefined): Issue[] {
  const issues: Issue[] = [];
  const seen = new Set<string>();
  for (const row of usedHeaderRows(rows)) {
    if (row.name === '') issues.push({ path: `headerRows.${row.index}.name`, message: 'is required', code: 'required', params: {} });
    else if (seen.has(row.name.toLowerCase())) issues.push({ path: `headerRows.${row.index}.name`, message: 'must be unique', code: 'duplicate', params: {} });
    seen.add(row.name.toLowerCase());
  }
  return issues;
}

/** Issues about the name itself belong beside the name; the others (length, characters) beside the value. */
const HEADER_NAME_CODES = new Set(['reserved_header', 'connection_header', 'invalid_header_name']);

/**
 * The API names a header's issue by the header (`headers.X-Tenant`): on screen
 * it is the row holding that name, at its name or its value input.
 */
function headerRowPath(rows: HeaderRow[] | undefined, issue: Issue): string {
  const name = issue.path.slice('headers.'.length);
  const row = usedHeaderRows(rows).find((r) => r.name === name) ?? usedHeaderRows(rows)[0];
  if (!row) return 'headerRows';
  return `headerRows.${row.index}.${issue.path !== 'headers' && !HEADER_NAME_CODES.has(issue.code ?? '') ? 'value' : 'name'}`;
}

/** The "取值" choice for a stored parameter: the login id, the visitor id, or a profile attribute. */
function sourceOf(p: { attribute?: unknown; identity?: unknown }): 'login' | 'visitor' | 'attribute' {
  if (p.attribute !== ID_ATTRIBUTE) return 'attribute';
  return p.identity === 'visitor' ? 'visitor' : 'login';
}

/** An edit starts from the saved fields with the credential inputs empty: the API only ever shows them masked. */
function editValues(channel: Channel): FormValues {
  const auth = channel.auth as StoredAuth;
  return {
    name: channel.name,
    url: channel.url,
    method: channel.method,
    auth: auth.type === 'basic' ? { type: 'basic', username: auth.username } : { type: auth.type },
    userAttributeParams: (channel.userAttributeParams as { attribute: string; identity: string }[]).map((p) => ({ ...p, source: sourceOf(p) })),
    templateParams: channel.templateParams as FormValues['templateParams'],
    headerRows: Object.entries((channel.headers ?? {}) as Record<string, string>).map(([name, value]) => ({ name, value })),
    timeoutSeconds: (channel.timeoutMs as number) / 1000,
    rateLimit: (channel.rateLimit as FormValues['rateLimit'] | undefined) ?? {},
    format: channel.format as BodyFormat,
    batchSize: channel.batchSize as number,
    userCap: (channel.userCap as FormValues['userCap'] | null) ?? {},
  };
}

/**
 * Inputs give text. Only integer and number template parameters turn digits into
 * a number (and boolean ones true/false): text stays as typed, so `007` is not 7.
 */
function templateDefault(type: string | undefined, value: unknown): unknown {
  if (typeof value !== 'string') return value ?? undefined;
  if (value === '') return undefined;
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

/** A user-attribute default is what the attribute would hold; typed in, it is text (`00123` stays `00123`). */
function attributeDefault(value: unknown): unknown {
  return value === '' || value === null ? undefined : value;
}

/**
 * The request body for the form. On an edit (`stored` given) an empty secret or
 * password means "keep the stored one", so auth is left out (or sent without the
 * password) and the API keeps it; a typed one replaces it, and `regenerate` asks
 * for a fresh secret (which a moved URL needs unless one is typed).
 */
function formBody(raw: FormValues, stored?: StoredAuth): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: raw.name,
    url: raw.url,
    method: raw.method,
    userAttributeParams: (raw.userAttributeParams ?? []).map(({ source, ...p }) => ({
      ...p,
      // The login or visitor id itself is the API's $id; a profile attribute keeps the row's identity (login unless stored otherwise).
      ...(source === 'attribute' ? { identity: p.identity ?? 'login' } : { attribute: ID_ATTRIBUTE, identity: source ?? 'login' }),
      default: attributeDefault(p.default),
    })),
    templateParams: (raw.templateParams ?? []).map((p) => ({ ...p, default: templateDefault(p.type, p.default) })),
    headers: Object.fromEntries(usedHeaderRows(raw.headerRows).map((r) => [r.name, r.value])),
    ...(typeof raw.timeoutSeconds === 'number' ? { timeoutMs: Math.round(raw.timeoutSeconds * 1000) } : {}),
    // An empty limit is unlimited (null), which also clears a stored one on an edit.
    rateLimit: { perSecond: raw.rateLimit?.perSecond ?? null, concurrency: raw.rateLimit?.concurrency ?? null },
    format: raw.format ?? 'standard',
    // The batch size only means something in a batched format; otherwise the stored one is kept.
    ...(raw.format && batchedBodyFormats.has(raw.format) && typeof raw.batchSize === 'number' ? { batchSize: raw.batchSize } : {}),
  };
  // Both halves of the cap, or none (null clears a stored one).
  const capMax = raw.userCap?.max;
  const capPer = raw.userCap?.per;
  if (typeof capMax === 'number' || capPer) body.userCap = { max: capMax ?? undefined, per: capPer ?? '' };
  else if (stored) body.userCap = null;
  const type = raw.auth?.type;
  const secret = raw.auth?.secret?.trim();
  const password = raw.auth?.password;
  if (type === 'secret') {
    if (raw.auth?.regenerate) body.auth = { type };
    else if (secret) body.auth = { type, secret };
    else if (stored?.type !== 'secret') body.auth = { type };
  } else if (type === 'basic') {
    if (password) body.auth = { type, username: raw.auth?.username, password };
    else if (stored?.type !== 'basic') body.auth = { type, username: raw.auth?.username, password: '' };
    else if (raw.auth?.username !== stored.username) body.auth = { type, username: raw.auth?.username };
  } else if (type) {
    body.auth = { type };
  }
  return body;
}

/** The channel screens: the list (`/channels`), a new channel (`/channels/new`) and a channel (`/channels/<id>`, its settings to edit) in a drawer over it. */
export function Channels() {
  return (
    <Routes>
      <Route element={<ChannelList />}>
        <Route index element={null} />
        <Route path="new" element={<ChannelScreen />} />
        <Route path=":id" element={<ChannelScreen />} />
      </Route>
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}

function ChannelList() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const here = useListState();
  const list = useQuery({ queryKey: ['channels'], queryFn: () => unwrap(api.GET('/api/channels')) });
  return (
    <>
      <Button type="primary" onClick={() => navigate('/channels/new', { state: here })} style={{ marginBottom: 16 }}>{t('newChannel')}</Button>
      <Table rowKey="id" loading={list.isLoading} dataSource={list.data?.items ?? []} pagination={false}
        columns={[
          { title: t('name'), render: (_: unknown, row: Channel) => <Link to={`/channels/${row.id}`} state={here} data-testid="channel-link">{row.name}</Link> },
          { title: t('url'), dataIndex: 'url' },
          { title: t('method'), dataIndex: 'method' },
          { title: t('actions'), render: (_: unknown, row: Channel) => <Space><Button onClick={() => navigate(`/channels/${row.id}`, { state: here })}>{t('edit')}</Button><DeleteButton kind="channel" id={row.id} name={row.name} /></Space> },
        ]} />
      <Outlet />
    </>
  );
}

/** A new channel's form, or a saved channel's (loaded by the id in the URL, so a link to it opens it). */
function ChannelScreen() {
  const { t } = useTranslation();
  const id = useParams().id;
  const over = useOverList('/channels');
  const channel = useQuery({ queryKey: ['channel', id], enabled: id !== undefined, queryFn: () => unwrap(api.GET('/api/channels/{id}', { params: { path: { id: id! } } })) });
  return (
    <Drawer open width={900} onClose={over.close} title={id ? (channel.data?.name ?? t('edit')) : t('newChannel')}>
      {id === undefined && <ChannelForm channel={null} onDone={over.close} />}
      {/* The form starts from what it reads at mount: a fresh read, not a cached one from before the last save. */}
      {channel.data && channel.isFetchedAfterMount && <ChannelForm key={id} channel={channel.data} onDone={over.close} />}
      {channel.error && <Alert type="error" showIcon message={failureText(t, channel.error)} data-testid="channel-missing" />}
    </Drawer>
  );
}
