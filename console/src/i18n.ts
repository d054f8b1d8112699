import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';

export const LANGUAGE_STORAGE = 'hookcast.language';

const zh = {
  channels: '渠道', segments: '用户分群', campaigns: '活动', newChannel: '新建渠道', edit: '编辑', save: '保存', cancel: '取消',
  name: '名称', url: '请求地址', method: '请求方式', authType: '鉴权方式', secret: '密钥', username: '用户名', password: '密码',
  userAttributeParams: '用户属性参数', templateParams: '模板参数', paramName: '参数名', attribute: '用户属性', identity: '用户身份',
  default: '默认值', displayName: '显示名称', type: '类型', required: '必填', add: '添加', remove: '删除', test: '测试',
  testResult: '测试结果', request: '请求', response: '响应', verdict: '结论', secretShownOnce: '密钥只显示这一次，请复制保存：',
  copy: '复制', saved: '已保存', limitReached: '最多 10 行', status: '状态', progress: '进度', actions: '操作',
  rule: '规则', preview: '预览', members: '人数', newSegment: '新建分群', newCampaign: '新建活动', launch: '上线', saveDraft: '保存草稿',
  pause: '暂停', fixFields: '请修正标红的字段', eventTriggered: '事件触发', repeat: '重复', every_day: '每天', every_week: '每周', every_month: '每月', every_cron: 'cron 表达式', onDays: '日期', atTime: '时间', eventName: '事件', atLeastTimes: '至少次数', withinWindow: '时间窗口', delayBy: '延迟', day_sun: '周日', day_mon: '周一', day_tue: '周二', day_wed: '周三', day_thu: '周四', day_fri: '周五', day_sat: '周六', insertAttribute: '插入用户属性', renderPreview: '预览（发送一次测试请求）', sendOnceNow: '立即发送一次', triggered: '已触发', resume: '继续', cancelCampaign: '取消活动', confirm: '确定吗？', segment: '分群', channel: '渠道', trigger: '触发方式',
  once: '单次', recurring: '周期', sendAt: '发送时间', now: '立即', templateValues: '模板内容', runs: '运行记录', lookup: '用户查询',
  lookupUser: '登录 ID 或访客 ID', attempts: '尝试', language: 'English', apiKey: 'API 密钥', all: '全部满足 (AND)', any: '任一满足 (OR)',
  condition: '条件', missingLogin: '缺少登录 ID', missingVisitor: '缺少访客 ID', sample: '样本用户', deliveries: '投递', everyDayAt: '每天时间',
  timeZone: '时区', detail: '详情', verdictOk: '端点返回 {{status}}，成功', verdictNon2xx: '端点返回 {{status}}', verdictRefused: '连接被拒绝',
  verdictTimeout: '{{s}} 秒后超时', verdictOther: '失败：{{verdict}}',
};
const en: typeof zh = {
  channels: 'Channels', segments: 'Segments', campaigns: 'Campaigns', newChannel: 'New channel', edit: 'Edit', save: 'Save', cancel: 'Cancel',
  name: 'Name', url: 'Request URL', method: 'Method', authType: 'Auth type', secret: 'Secret', username: 'Username', password: 'Password',
  userAttributeParams: 'User attribute parameters', templateParams: 'Template parameters', paramName: 'Parameter name', attribute: 'User attribute', identity: 'Identity',
  default: 'Default', displayName: 'Display name', type: 'Type', required: 'Required', add: 'Add', remove: 'Remove', test: 'Test',
  testResult: 'Test result', request: 'Request', response: 'Response', verdict: 'Verdict', secretShownOnce: 'The secret is shown only this once; copy it now:',
  copy: 'Copy', saved: 'Saved', limitReached: 'At most 10 rows', status: 'Status', progress: 'Progress', actions: 'Actions',
  rule: 'Rule', preview: 'Preview', members: 'Members', newSegment: 'New segment', newCampaign: 'New campaign', launch: 'Go live', saveDraft: 'Save draft',
  pause: 'Pause', fixFields: 'Fix the fields marked in red', eventTriggered: 'Event-triggered', repeat: 'Repeat', every_day: 'Daily', every_week: 'Weekly', every_month: 'Monthly', every_cron: 'Cron expression', onDays: 'On', atTime: 'At', eventName: 'Event', atLeastTimes: 'At least (times)', withinWindow: 'Within', delayBy: 'Delay', day_sun: 'Sun', day_mon: 'Mon', day_tue: 'Tue', day_wed: 'Wed', day_thu: 'Thu', day_fri: 'Fri', day_sat: 'Sat', insertAttribute: 'Insert user attribute', renderPreview: 'Preview (sends one test request)', sendOnceNow: 'Send once now', triggered: 'Triggered', resume: 'Resume', cancelCampaign: 'Cancel campaign', confirm: 'Are you sure?', segment: 'Segment', channel: 'Channel', trigger: 'Trigger',
  once: 'One-time', recurring: 'Recurring', sendAt: 'Send time', now: 'Now', templateValues: 'Template content', runs: 'Runs', lookup: 'User lookup',
  lookupUser: 'Login id or visitor id', attempts: 'Attempts', language: '中文', apiKey: 'API key', all: 'All of (AND)', any: 'Any of (OR)',
  condition: 'Condition', missingLogin: 'Missing login id', missingVisitor: 'Missing visitor id', sample: 'Sample users', deliveries: 'Deliveries', everyDayAt: 'Every day at',
  timeZone: 'Time zone', detail: 'Detail', verdictOk: 'endpoint answered {{status}}: ok', verdictNon2xx: 'endpoint answered {{status}}', verdictRefused: 'connection refused',
  verdictTimeout: 'timed out after {{s}} s', verdictOther: 'failed: {{verdict}}',
};

void i18n.use(initReactI18next).init({
  resources: { 'zh-CN': { translation: zh }, en: { translation: en } },
  lng: localStorage.getItem(LANGUAGE_STORAGE) ?? 'zh-CN',
  fallbackLng: 'zh-CN',
  interpolation: { escapeValue: false },
});

export default i18n;
