import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';

import { en, zh } from './messages.js';

export const LANGUAGE_STORAGE = 'hookcast.language';

void i18n.use(initReactI18next).init({
  resources: { 'zh-CN': { translation: zh }, en: { translation: en } },
  lng: localStorage.getItem(LANGUAGE_STORAGE) ?? 'zh-CN',
  fallbackLng: 'zh-CN',
  interpolation: { escapeValue: false },
});

export default i18n;
