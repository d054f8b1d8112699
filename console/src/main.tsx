import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { Button, ConfigProvider, Input, Layout, Menu, Space } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { useTranslation } from 'react-i18next';
import { KEY_STORAGE } from './api.js';
import { Campaigns } from './Campaigns.js';
import { Channels } from './Channels.js';
import i18n, { LANGUAGE_STORAGE } from './i18n.js';
import { Segments } from './Segments.js';

const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
type Screen = 'channels' | 'segments' | 'campaigns';

function App() {
  const { t } = useTranslation();
  const [screen, setScreen] = useState<Screen>('channels');
  const [language, setLanguage] = useState(i18n.language);
  const [key, setKey] = useState(sessionStorage.getItem(KEY_STORAGE) ?? '');
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
          <Menu theme="dark" mode="horizontal" selectedKeys={[screen]} style={{ flex: 1 }} onClick={(e) => setScreen(e.key as Screen)}
            items={(['channels', 'segments', 'campaigns'] as const).map((k) => ({ key: k, label: t(k) }))} />
          <Space>
            <Input.Password size="small" placeholder={t('apiKey')} value={key} style={{ width: 180 }}
              onChange={(e) => { setKey(e.target.value); sessionStorage.setItem(KEY_STORAGE, e.target.value); void client.invalidateQueries(); }} data-testid="api-key" />
            <Button size="small" onClick={switchLanguage} data-testid="language">{t('language')}</Button>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ padding: 24 }}>
          {screen === 'channels' && <Channels />}
          {screen === 'segments' && <Segments />}
          {screen === 'campaigns' && <Campaigns />}
        </Layout.Content>
      </Layout>
    </ConfigProvider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={client}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
