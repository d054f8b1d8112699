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
  pause: '暂停', fixFields: '请修正标红的字段', eventTriggered: '事件触发', repeat: '重复', every_day: '每天', every_week: '每周', every_month: '每月', every_cron: 'cron 表达式', onDays: '日期', atTime: '时间', eventName: '事件', atLeastTimes: '至少次数', withinWindow: '时间窗口', delayBy: '延迟', day_sun: '周日', day_mon: '周一', day_tue: '周二', day_wed: '周三', day_thu: '周四', day_fri: '周五', day_sat: '周六', insertAttribute: '插入用户属性', sendOnceNow: '立即发送一次', triggered: '已触发', resume: '继续', cancelCampaign: '取消活动', confirm: '确定吗？', segment: '分群', channel: '渠道', trigger: '触发方式',
  once: '单次', recurring: '周期', sendAt: '发送时间', now: '立即', templateValues: '模板内容', runs: '运行记录', lookup: '用户查询',
  lookupUser: '登录 ID 或访客 ID', attempts: '尝试', language: 'English', apiKey: 'API 密钥', all: '全部满足 (AND)', any: '任一满足 (OR)',
  condition: '条件', missingLogin: '缺少登录 ID', missingVisitor: '缺少访客 ID', sample: '样本用户', deliveries: '投递', everyDayAt: '每天时间',
  timeZone: '时区', detail: '详情', verdictOk: '端点返回 {{status}}，成功', verdictNon2xx: '端点返回 {{status}}', verdictRefused: '连接被拒绝',
  verdictTimeout: '{{s}} 秒后超时', verdictOther: '失败：{{verdict}}',
  noAttemptsYet: '还没有发送', runChart: '发送趋势', succeeded: '成功', retrying: '重试中', failed: '失败', pending: '待发送', skipped: '跳过', cancelled: '已取消', total: '总数', usersDone: '{{done}} / {{total}} 人已结束',
  cumulative: '累计', perInterval: '每 {{s}} 秒一格', user: '用户', lastAttemptAt: '最近尝试', nextAttemptAt: '下次尝试', time: '时间', latency: '耗时', error: '错误',
  responseExcerpt: '响应摘录', launchedAt: '上线时间', finishedAt: '结束时间', startedAt: '开始时间', scheduledFor: '计划时间', nextFirings: '下次触发', perSecond: '每秒发送',
  failureReasons: '失败原因', noFailures: '没有失败', reason: '原因', count: '人数', example: '示例', testSend: '测试发送（真实请求）',
  frequency: '频率', freqOnce: '每人一次', freqAtMostEvery: '间隔至少', atMostEvery: '间隔', eventFilters: '事件属性筛选', filterValueHint: '值（列表用逗号分隔）',
  campaignTimeZone: '活动时区', sendAtHint: '发送时间（按你所在时区选择；留空为立即）', previewAs: '指定用户（可选：登录 ID 或访客 ID）', renderOnly: '预览（不发送）', renderFor_segment: '分群成员 {{user}} 的渲染结果', renderFor_user: '用户 {{user}} 的渲染结果',
  renderFor_sample: '示例用户的渲染结果（分群中没有可用成员）', did: '做过', didNot: '没做过', atLeast: '至少', times: '次', days: '天',
  win_today: '今天', win_yesterday: '昨天', win_lastDays: '最近 N 天', win_since: '从某天起', win_between: '日期范围', win_ever: '不限时间',
  reason_refused: '连接被拒绝', reason_timeout: '超时', reason_dns: '域名无法解析', reason_tls: 'TLS 错误', reason_reset: '连接被重置', reason_network: '网络错误',
  reason_invalid_request: '请求无法构造', reason_forbidden_address: '目标地址不允许访问', reason_no_login_id: '成员没有登录 ID', reason_no_visitor_id: '成员没有访客 ID',
  reason_quiet_hours: '免打扰时段内（跳过）', reason_user_cap: '超过每人发送上限', reason_cancelled: '活动已取消', reason_expired: '活动已过期',
  reason_template_error: '模板渲染失败', reason_template_limit: '模板渲染超时', reason_not_in_segment: '发送时已不在分群中', reason_user_deleted: '用户已删除',
  // Channel credentials on an edit, sign-in and sign-out.
  secretKept: '留空则保留当前密钥 {{masked}}；填写新密钥则替换', secretGenerated: 'whsec_…（留空则自动生成）', passwordKept: '留空则保留当前密码', secretRegenerate: '生成新密钥（保存后显示一次）',
  signIn: '登录', signOut: '退出', signInTitle: '输入 API 密钥登录', unauthorized: 'API 密钥缺失或无效（401），请重新登录',
  // Campaign detail: why a campaign paused itself, and a draft's refused launch.
  pauseReason: '暂停原因', launchRefused: '无法上线，请先处理以下问题：',
  // Words the API speaks (statuses, option values), shown in the operator's language; raw value on hover and in data-status.
  st_draft: '草稿', st_scheduled: '已排期', st_running: '发送中', st_paused: '已暂停', st_completed: '已完成', st_cancelled: '已取消', st_failed: '失败',
  st_skipped: '已跳过', st_missed: '已错过', st_succeeded: '成功', st_pending: '待发送', st_retry: '将重试',
  trig_once: '单次', trig_schedule: '定时触发', trig_manual: '手动触发', trig_event: '事件触发',
  eventQueue: '事件触发', eventsCounted: '已计数事件 {{n}}', firingsWaiting: '待发送 {{n}}', firingsDue: '已到期未发 {{n}}', lagNone: '无延迟', lagSeconds: '落后 {{s}} 秒',
  opt_login: '登录 ID', opt_visitor: '访客 ID', opt_secret: '签名密钥', opt_basic: 'HTTP Basic', opt_none: '无',
  opt_text: '文本', opt_integer: '整数', opt_number: '数字', opt_boolean: '是/否', opt_date: '日期', opt_datetime: '日期时间',
  opt_attribute: '用户属性', opt_event: '行为事件', opt_identity: '用户身份', opt_hasLoginId: '有登录 ID', opt_visitorOnly: '仅有访客 ID',
  op_equals: '等于', op_notEquals: '不等于', op_gt: '大于', op_gte: '大于等于', op_lt: '小于', op_lte: '小于等于', op_contains: '包含', op_anniversaryToday: '今天是周年日',
  // The audit trail (admin keys).
  audit: '操作审计', auditActor: '操作者', auditAction: '操作', auditTarget: '对象', auditChange: '变更内容', auditAdminOnly: '只有 admin 密钥可以查看操作审计（403）', loadMore: '加载更多',
  act_created: '创建', act_changed: '修改', act_launched: '上线', act_paused: '暂停', act_resumed: '继续', act_cancelled: '取消', act_triggered: '立即发送', act_rotated: '轮换密钥', act_deleted: '删除', act_revoked: '吊销', act_erased: '删除用户数据',
  tt_channel: '渠道', tt_segment: '分群', tt_campaign: '活动', tt_api_key: 'API 密钥', tt_user: '用户',
};
const en: typeof zh = {
  channels: 'Channels', segments: 'Segments', campaigns: 'Campaigns', newChannel: 'New channel', edit: 'Edit', save: 'Save', cancel: 'Cancel',
  name: 'Name', url: 'Request URL', method: 'Method', authType: 'Auth type', secret: 'Secret', username: 'Username', password: 'Password',
  userAttributeParams: 'User attribute parameters', templateParams: 'Template parameters', paramName: 'Parameter name', attribute: 'User attribute', identity: 'Identity',
  default: 'Default', displayName: 'Display name', type: 'Type', required: 'Required', add: 'Add', remove: 'Remove', test: 'Test',
  testResult: 'Test result', request: 'Request', response: 'Response', verdict: 'Verdict', secretShownOnce: 'The secret is shown only this once; copy it now:',
  copy: 'Copy', saved: 'Saved', limitReached: 'At most 10 rows', status: 'Status', progress: 'Progress', actions: 'Actions',
  rule: 'Rule', preview: 'Preview', members: 'Members', newSegment: 'New segment', newCampaign: 'New campaign', launch: 'Go live', saveDraft: 'Save draft',
  pause: 'Pause', fixFields: 'Fix the fields marked in red', eventTriggered: 'Event-triggered', repeat: 'Repeat', every_day: 'Daily', every_week: 'Weekly', every_month: 'Monthly', every_cron: 'Cron expression', onDays: 'On', atTime: 'At', eventName: 'Event', atLeastTimes: 'At least (times)', withinWindow: 'Within', delayBy: 'Delay', day_sun: 'Sun', day_mon: 'Mon', day_tue: 'Tue', day_wed: 'Wed', day_thu: 'Thu', day_fri: 'Fri', day_sat: 'Sat', insertAttribute: 'Insert user attribute', sendOnceNow: 'Send once now', triggered: 'Triggered', resume: 'Resume', cancelCampaign: 'Cancel campaign', confirm: 'Are you sure?', segment: 'Segment', channel: 'Channel', trigger: 'Trigger',
  once: 'One-time', recurring: 'Recurring', sendAt: 'Send time', now: 'Now', templateValues: 'Template content', runs: 'Runs', lookup: 'User lookup',
  lookupUser: 'Login id or visitor id', attempts: 'Attempts', language: '中文', apiKey: 'API key', all: 'All of (AND)', any: 'Any of (OR)',
  condition: 'Condition', missingLogin: 'Missing login id', missingVisitor: 'Missing visitor id', sample: 'Sample users', deliveries: 'Deliveries', everyDayAt: 'Every day at',
  timeZone: 'Time zone', detail: 'Detail', verdictOk: 'endpoint answered {{status}}: ok', verdictNon2xx: 'endpoint answered {{status}}', verdictRefused: 'connection refused',
  verdictTimeout: 'timed out after {{s}} s', verdictOther: 'failed: {{verdict}}',
  noAttemptsYet: 'Nothing sent yet', runChart: 'Sending over time', succeeded: 'Succeeded', retrying: 'Retrying', failed: 'Failed', pending: 'Pending', skipped: 'Skipped', cancelled: 'Cancelled', total: 'Total', usersDone: '{{done}} of {{total}} users done',
  cumulative: 'Cumulative', perInterval: 'one bar per {{s}} s', user: 'User', lastAttemptAt: 'Last attempt', nextAttemptAt: 'Next attempt', time: 'Time', latency: 'Latency', error: 'Error',
  responseExcerpt: 'Response excerpt', launchedAt: 'Launched', finishedAt: 'Finished', startedAt: 'Started', scheduledFor: 'Scheduled for', nextFirings: 'Next firings', perSecond: 'Deliveries / s',
  failureReasons: 'Failure reasons', noFailures: 'No failures', reason: 'Reason', count: 'Users', example: 'Example', testSend: 'Test send (real request)',
  frequency: 'Frequency', freqOnce: 'Once per user', freqAtMostEvery: 'At most every', atMostEvery: 'Interval', eventFilters: 'Event property filters', filterValueHint: 'value (lists: comma-separated)',
  campaignTimeZone: 'Campaign time zone', sendAtHint: 'Send time (picked in your time zone; empty: now)', previewAs: 'As user (optional: login or visitor id)', renderOnly: 'Preview (nothing is sent)', renderFor_segment: 'Rendered for segment member {{user}}', renderFor_user: 'Rendered for user {{user}}',
  renderFor_sample: 'Rendered for an invented sample user (no usable segment member)', did: 'did', didNot: 'did not', atLeast: 'at least', times: 'times', days: 'days',
  win_today: 'today', win_yesterday: 'yesterday', win_lastDays: 'last N days', win_since: 'since a day', win_between: 'between days', win_ever: 'any time',
  reason_refused: 'connection refused', reason_timeout: 'timed out', reason_dns: 'host name not found', reason_tls: 'TLS error', reason_reset: 'connection reset', reason_network: 'network error',
  reason_invalid_request: 'request could not be built', reason_forbidden_address: 'address not allowed', reason_no_login_id: 'member has no login id', reason_no_visitor_id: 'member has no visitor id',
  reason_quiet_hours: 'inside quiet hours (skipped)', reason_user_cap: 'per-user cap reached', reason_cancelled: 'campaign cancelled', reason_expired: 'campaign expired',
  reason_template_error: 'template failed to render', reason_template_limit: 'template ran out of time', reason_not_in_segment: 'no longer in the segment at send time', reason_user_deleted: 'user deleted',
  // Channel credentials on an edit, sign-in and sign-out.
  secretKept: 'Empty keeps the current secret {{masked}}; type a new one to replace it', secretGenerated: 'whsec_… (empty: generated)', passwordKept: 'Empty keeps the current password', secretRegenerate: 'Generate a new secret (shown once after saving)',
  signIn: 'Sign in', signOut: 'Sign out', signInTitle: 'Sign in with an API key', unauthorized: 'The API key is missing or wrong (401): sign in again',
  // Campaign detail: why a campaign paused itself, and a draft's refused launch.
  pauseReason: 'Paused because', launchRefused: 'Cannot go live yet; fix these first:',
  st_draft: 'draft', st_scheduled: 'scheduled', st_running: 'running', st_paused: 'paused', st_completed: 'completed', st_cancelled: 'cancelled', st_failed: 'failed',
  st_skipped: 'skipped', st_missed: 'missed', st_succeeded: 'succeeded', st_pending: 'pending', st_retry: 'will retry',
  trig_once: 'one-time', trig_schedule: 'scheduled', trig_manual: 'manual', trig_event: 'event',
  eventQueue: 'Event trigger', eventsCounted: '{{n}} events counted', firingsWaiting: '{{n}} sends waiting', firingsDue: '{{n}} due, not sent', lagNone: 'no lag', lagSeconds: '{{s}} s behind',
  opt_login: 'login id', opt_visitor: 'visitor id', opt_secret: 'signing secret', opt_basic: 'HTTP Basic', opt_none: 'none',
  opt_text: 'text', opt_integer: 'integer', opt_number: 'number', opt_boolean: 'yes/no', opt_date: 'date', opt_datetime: 'date and time',
  opt_attribute: 'attribute', opt_event: 'event', opt_identity: 'identity', opt_hasLoginId: 'has a login id', opt_visitorOnly: 'visitor id only',
  op_equals: 'equals', op_notEquals: 'not equals', op_gt: 'greater than', op_gte: 'at least', op_lt: 'less than', op_lte: 'at most', op_contains: 'contains', op_anniversaryToday: 'anniversary today',
  // The audit trail (admin keys).
  audit: 'Audit trail', auditActor: 'Who', auditAction: 'Action', auditTarget: 'Object', auditChange: 'Change', auditAdminOnly: 'Only an admin key may read the audit trail (403)', loadMore: 'Load more',
  act_created: 'created', act_changed: 'changed', act_launched: 'launched', act_paused: 'paused', act_resumed: 'resumed', act_cancelled: 'cancelled', act_triggered: 'sent once now', act_rotated: 'rotated the secret', act_deleted: 'deleted', act_revoked: 'revoked', act_erased: 'erased user data',
  tt_channel: 'channel', tt_segment: 'segment', tt_campaign: 'campaign', tt_api_key: 'API key', tt_user: 'user',
};

void i18n.use(initReactI18next).init({
  resources: { 'zh-CN': { translation: zh }, en: { translation: en } },
  lng: localStorage.getItem(LANGUAGE_STORAGE) ?? 'zh-CN',
  fallbackLng: 'zh-CN',
  interpolation: { escapeValue: false },
});

export default i18n;
