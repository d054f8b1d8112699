import './no-eval.js';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { Alert, Button, Card, ConfigProvider, Form, Input, Layout, Menu, Space, message } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { useTranslation } from 'react-i18next';
import { BrowserRouter, Link, Navigate, Route, Routes, useLocation } from 'react-router';
import { KEY_STORAGE, onThrottled, onUnauthorized } from './api.js';
import { Audit } from './Audit.js';
import { Campaigns } from './Campaigns.js';
import { Channels } from './Channels.js';
import i18n, { LANGUAGE_STORAGE } from './i18n.js';
import { NotFound } from './routes.js';
import { Segments } from './Segments.js';

const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
const SCREENS = ['channels', 'segments', 'campaigns', 'audit'] as const;

function App() {
  const { t } = useTranslation();
  // Each screen is a path (docs/console.md lists them), so a link or a reload opens the same screen; the key survives a reload in sessionStorage.
  const screen = useLocation().pathname.split('/')[1] ?? '';
  const [language, setLanguage] = useState(i18n.language);
  const [key, setKey] = useState(sessionStorage.getItem(KEY_STORAGE) ?? '');
  const [refused, setRefused] = useState(false);
  /** Forgets the key and everything fetched with it, so the next key never sees the last one's data. */
  function signOut() {
    sessionStorage.removeItem(KEY_STORAGE);
    client.clear();
    setKey('');
  }
  function signIn(entered: string) {
    client.clear();
    sessionStorage.setItem(KEY_STORAGE, entered);
    setRefused(false);
    setKey(entered);
  }
  useEffect(() => onUnauthorized(() => {
    // Several calls may fail at once; one message is enough.
    void message.error({ content: i18n.t('unauthorized'), key: 'unauthorized' });
    setRefused(true);
    signOut();
  }), []);
  useEffect(() => onThrottled((seconds) => {
    void message.error({ content: i18n.t('throttled', { seconds: Number.isFinite(seconds) ? seconds : 60 }), key: 'throttled' });
  }), []);
  function switchLanguage() {
    const next = language === 'en' ? 'zh-CN' : 'en';
    localStorage.setItem(LANGUAGE_STORAGE, next);
    void i18n.changeLanguage(next);
    setLanguage(next);
  }
  return (
    <ConfigProvider locale={language === 'en' ? enUS : zhCN}>
      <Layout style={{ minHeight: '100vh' }}>
        <Layout.Header style={{ display: 'flex', alignItems: 'center', gap: 16 }}>
          <span style={{ color: '#fff', fontWeight: 600 }}>hookcast</span>
          <Menu theme="dark" mode="horizontal" selectedKeys={[screen]} style={{ flex: 1 }}
            items={SCREENS.map((k) => ({ key: k, label: <Link to={`/${k}`}>{t(k)}</Link> }))} />
          <Space>
            {key && <Button size="small" onClick={signOut} data-testid="sign-out">{t('signOut')}</Button>}
            <Button size="small" onClick={switchLanguage} data-testid="language">{t('language')}</Button>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ padding: 24 }}>
          {!key && <SignIn refused={refused} onSignIn={signIn} />}
          {key && (
            <Routes>
              <Route index element={<Navigate to="/channels" replace />} />
              <Route path="channels/*" element={<Channels />} />
              <Route path="segments/*" element={<Segments />} />
              <Route path="campaigns/*" element={<Campaigns />} />
              <Route path="audit" element={<Audit />} />
              <Route path="*" element={<NotFound />} />
            </Routes>
          )}
        </Layout.Content>
      </Layout>
    </ConfigProvider>
  );
}

/** Shown without a key, and again whenever the API answers 401. */
function SignIn({ refused, onSignIn }: { refused: boolean; onSignIn: (key: string) => void }) {
  const { t } = useTranslation();
  const [entered, setEntered] = useState('');
  return (
    <Card title={t('signInTitle')} style={{ maxWidth: 480, margin: '48px auto' }} data-testid="sign-in-screen">
      {refused && <Alert type="error" showIcon message={t('unauthorized')} style={{ marginBottom: 16 }} data-testid="unauthorized" />}
      <Form layout="vertical" onFinish={() => entered.trim() && onSignIn(entered.trim())}>
        <Form.Item label={t('apiKey')}>
          <Input.Password value={entered} onChange={(e) => setEntered(e.target.value)} autoFocus data-testid="api-key" />
        </Form.Item>
        <Button type="primary" htmlType="submit" disabled={!entered.trim()} data-testid="sign-in">{t('signIn')}</Button>
      </Form>
    </Card>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={client}>
      <BrowserRouter>
        <App />
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
);
