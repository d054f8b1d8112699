/*
 * The console's words, zh-CN (default) and en. Keys err_<code> and issue_<code>
 * translate the API's error codes (lib/errors.ts); messages.test.ts fails when one is missing.
 */
export const zh = {
  channels: '渠道', segments: '用户分群', campaigns: '活动', newChannel: '新建渠道', edit: '编辑', save: '保存', cancel: '取消',
  name: '名称', url: '请求地址', method: '请求方式', authType: '鉴权方式', secret: '密钥', username: '用户名', password: '密码',
  userAttributeParams: '用户属性参数', templateParams: '模板参数', paramName: '参数名', attribute: '用户属性', identity: '用户身份',
  default: '默认值', displayName: '显示名称', type: '类型', required: '必填', add: '添加', remove: '删除', test: '测试',
  testResult: '测试结果', request: '请求', response: '响应', verdict: '结论', secretShownOnce: '密钥只显示这一次，请复制保存：',
  copy: '复制', saved: '已保存', limitReached: '最多 10 行', status: '状态', progress: '进度', actions: '操作',
  rule: '规则', preview: '预览', members: '人数', newSegment: '新建分群', newCampaign: '新建活动', launch: '上线', saveDraft: '保存草稿',
  pause: '暂停', fixFields: '请修正标红的字段', eventTriggered: '事件触发', repeat: '重复', every_day: '每天', every_week: '每周', every_month: '每月', every_cron: 'cron 表达式', onDays: '日期', atTime: '时间', eventName: '事件', atLeastTimes: '至少次数', withinWindow: '时间窗口', delayBy: '延迟', day_sun: '周日', day_mon: '周一', day_tue: '周二', day_wed: '周三', day_thu: '周四', day_fri: '周五', day_sat: '周六', insertAttribute: '插入用户属性', sendOnceNow: '立即发送一次', triggered: '已触发', resume: '继续', cancelCampaign: '取消活动', confirm: '确定吗？', segment: '分群', channel: '渠道', trigger: '触发方式',
  once: '单次', recurring: '周期', sendAt: '发送时间', now: '立即', templateValues: '模板内容', runs: '运行记录', lookup: '用户查询',
  lookupUser: '登录 ID 或访客 ID', attempts: '尝试', eraseUser: '删除该用户的全部数据', eraseConfirm: '将永久删除用户「{{who}}」的资料与属性、全部行为事件、身份关联和事件触发计数；发送记录只保留计数（用户信息、请求回显与端点响应将被清除），尚未发送的消息不再发送。此操作不可撤销，并记入审计日志。', eraseOk: '已删除：{{events}} 条事件，{{deliveries}} 条发送记录已匿名化，{{unsent}} 条未发送的消息不再发送', eraseNone: '没有这个用户（可能已删除）', reason_erased: '用户数据已删除', language: 'English', apiKey: 'API 密钥', all: '全部满足 (AND)', any: '任一满足 (OR)',
  condition: '条件', missingLogin: '缺少登录 ID', missingVisitor: '缺少访客 ID', sample: '样本用户', deliveries: '投递', everyDayAt: '每天时间',
  timeZone: '时区', detail: '详情', verdictOk: '端点返回 {{status}}，成功', verdictNon2xx: '端点返回 {{status}}', verdictRefused: '连接被拒绝',
  verdictTimeout: '{{s}} 秒后超时', verdictOther: '失败：{{verdict}}',
  noAttemptsYet: '还没有发送', runChart: '发送趋势', succeeded: '成功', retrying: '重试中', failed: '失败', pending: '待发送', skipped: '跳过', cancelled: '已取消', total: '总数', usersDone: '{{done}} / {{total}} 人已结束',
  cumulative: '累计', attemptsPerInterval: '每格尝试次数', cumulativeAttempts: '累计尝试次数', perInterval: '每 {{s}} 秒一格', user: '用户', lastAttemptAt: '最近尝试', nextAttemptAt: '下次尝试', time: '时间', latency: '耗时', error: '错误',
  responseExcerpt: '响应摘录', launchedAt: '上线时间', finishedAt: '结束时间', startedAt: '开始时间', scheduledFor: '计划时间', nextFirings: '下次触发', perSecond: '每秒发送',
  failureReasons: '失败原因', noFailures: '没有失败', reason: '原因', count: '人数', example: '示例', testSend: '测试发送（真实请求）',
  frequency: '频率', freqOnce: '每人一次', freqAtMostEvery: '间隔至少', atMostEvery: '间隔', eventFilters: '事件属性筛选', filterValueHint: '值（列表用逗号分隔）',
  campaignTimeZone: '活动时区', sendAtHint: '发送时间（按你所在时区选择；留空为立即）', previewAs: '指定用户（可选：登录 ID 或访客 ID）', renderOnly: '预览（不发送）', renderFor_segment: '分群成员 {{user}} 的渲染结果', renderFor_user: '用户 {{user}} 的渲染结果',
  renderFor_sample: '示例用户的渲染结果（分群中没有可用成员）', did: '完成过', didNot: '没有完成过', times: '次', days: '天',
  win_today: '今天', win_yesterday: '昨天', win_lastDays: '最近 N 天', win_sinceYesterday: '自昨天起', win_sinceDaysAgo: '自 N 天前起', win_sinceDate: '自某天起', win_between: '日期范围', win_ever: '不限时间',
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
  op_in: '是其中之一', op_notIn: '不是其中任何一个', op_startsWith: '开头是', op_exists: '有值', op_notExists: '没有值', op_before: '早于', op_after: '晚于', op_withinLastDays: '在最近 N 天内',
  // The audit trail (admin keys).
  audit: '操作审计', auditActor: '操作者', auditAction: '操作', auditTarget: '对象', auditChange: '变更内容', auditAdminOnly: '只有 admin 密钥可以查看操作审计（403）', loadMore: '加载更多',
  act_created: '创建', act_changed: '修改', act_launched: '上线', act_paused: '暂停', act_resumed: '继续', act_cancelled: '取消', act_triggered: '立即发送', act_rotated: '轮换密钥', act_deleted: '删除', act_revoked: '吊销', act_erased: '删除用户数据',
  tt_channel: '渠道', tt_segment: '分群', tt_campaign: '活动', tt_api_key: 'API 密钥', tt_user: '用户',
  // Effect: goal, control group, the answer in words.
  effectSettings: '效果衡量（转化目标与对照组）', goalEvent: '转化事件', goalWithin: '转化窗口', goalValue: '价值属性（可选）', holdoutPercent: '对照组比例', addGoalFilter: '添加事件属性筛选',
  effectSettingsHint: '发送成功后（对照组：本应发送时）在窗口内做了转化事件即算转化；对照组的用户不发送，用来看没有这次活动时本来会有多少转化。留空则不设。',
  afterMinutes: '{{n}} 分钟', afterHours: '{{n}} 小时', afterDays: '{{n}} 天', effectChart: '累计转化率', timeSinceSend: '发送后经过的时间', sentGroup: '发送组', controlGroup: '对照组',
  effectNobodyYet: '还没有可衡量的用户',
  effectSentence: '发送组转化率 {{sent}}（±{{sentHalf}}），对照组 {{control}}（±{{controlHalf}}），提升 {{diff}} 个百分点（95% 置信区间 {{range}}）',
  effectSentenceNoControl: '发送组转化率 {{sent}}（±{{sentHalf}}）；没有对照组，无法衡量提升', rangeTo: '{{low}} 至 {{high}}',
  effectSignificant: '差异显著（p {{p}}）', effectNotSignificant: '差异尚不显著（p {{p}}），可能只是偶然', effectRelative: '相对提升 {{uplift}}',
  effectCounts: '发送组 {{sentConversions}} / {{sentUsers}} 人转化', effectControlCounts: '对照组 {{controlConversions}} / {{controlUsers}} 人转化', effectValue: '人均价值：发送组 {{sent}}，对照组 {{control}}',
  redrawn: '已重新抽取对照组（第 {{draw}} 次），从下一次运行起生效', effectFinal: '最终结果', effectProvisionalUntil: '暂定结果，窗口关闭于', effectProvisionalSending: '暂定结果：仍在发送',
  effect: '效果', allRuns: '全部运行', redrawConfirm: '重新抽取对照组？之后的运行会留出另一批用户', redraw: '重新抽取对照组', effectNoGoal: '此活动没有设置转化目标',
  effectGoal: '目标：{{event}}，窗口 {{within}}', effectHoldout: '对照组 {{percent}}%（第 {{draw}} 次抽取）', effectNoHoldout: '无对照组',
  held_out: '对照组', st_held_out: '对照组（未发送）', heldOutAt: '本应发送时间',
};
export const en: typeof zh = {
  channels: 'Channels', segments: 'Segments', campaigns: 'Campaigns', newChannel: 'New channel', edit: 'Edit', save: 'Save', cancel: 'Cancel',
  name: 'Name', url: 'Request URL', method: 'Method', authType: 'Auth type', secret: 'Secret', username: 'Username', password: 'Password',
  userAttributeParams: 'User attribute parameters', templateParams: 'Template parameters', paramName: 'Parameter name', attribute: 'User attribute', identity: 'Identity',
  default: 'Default', displayName: 'Display name', type: 'Type', required: 'Required', add: 'Add', remove: 'Remove', test: 'Test',
  testResult: 'Test result', request: 'Request', response: 'Response', verdict: 'Verdict', secretShownOnce: 'The secret is shown only this once; copy it now:',
  copy: 'Copy', saved: 'Saved', limitReached: 'At most 10 rows', status: 'Status', progress: 'Progress', actions: 'Actions',
  rule: 'Rule', preview: 'Preview', members: 'Members', newSegment: 'New segment', newCampaign: 'New campaign', launch: 'Go live', saveDraft: 'Save draft',
  pause: 'Pause', fixFields: 'Fix the fields marked in red', eventTriggered: 'Event-triggered', repeat: 'Repeat', every_day: 'Daily', every_week: 'Weekly', every_month: 'Monthly', every_cron: 'Cron expression', onDays: 'On', atTime: 'At', eventName: 'Event', atLeastTimes: 'At least (times)', withinWindow: 'Within', delayBy: 'Delay', day_sun: 'Sun', day_mon: 'Mon', day_tue: 'Tue', day_wed: 'Wed', day_thu: 'Thu', day_fri: 'Fri', day_sat: 'Sat', insertAttribute: 'Insert user attribute', sendOnceNow: 'Send once now', triggered: 'Triggered', resume: 'Resume', cancelCampaign: 'Cancel campaign', confirm: 'Are you sure?', segment: 'Segment', channel: 'Channel', trigger: 'Trigger',
  once: 'One-time', recurring: 'Recurring', sendAt: 'Send time', now: 'Now', templateValues: 'Template content', runs: 'Runs', lookup: 'User lookup',
  lookupUser: 'Login id or visitor id', attempts: 'Attempts', eraseUser: 'Erase all data of this user', eraseConfirm: 'This permanently deletes the profile and attributes of user "{{who}}", all their events, identity links and event-trigger counting; delivery records keep only their counts (user, echoes and endpoint answers are cleared), and messages not sent yet will not be sent. This cannot be undone and is written to the audit trail.', eraseOk: 'Erased: {{events}} events, {{deliveries}} delivery records anonymised, {{unsent}} unsent messages will not be sent', eraseNone: 'No such user (perhaps already erased)', reason_erased: 'user data erased', language: '中文', apiKey: 'API key', all: 'All of (AND)', any: 'Any of (OR)',
  condition: 'Condition', missingLogin: 'Missing login id', missingVisitor: 'Missing visitor id', sample: 'Sample users', deliveries: 'Deliveries', everyDayAt: 'Every day at',
  timeZone: 'Time zone', detail: 'Detail', verdictOk: 'endpoint answered {{status}}: ok', verdictNon2xx: 'endpoint answered {{status}}', verdictRefused: 'connection refused',
  verdictTimeout: 'timed out after {{s}} s', verdictOther: 'failed: {{verdict}}',
  noAttemptsYet: 'Nothing sent yet', runChart: 'Sending over time', succeeded: 'Succeeded', retrying: 'Retrying', failed: 'Failed', pending: 'Pending', skipped: 'Skipped', cancelled: 'Cancelled', total: 'Total', usersDone: '{{done}} of {{total}} users done',
  cumulative: 'Cumulative', attemptsPerInterval: 'Attempts per bar', cumulativeAttempts: 'Cumulative attempts', perInterval: 'one bar per {{s}} s', user: 'User', lastAttemptAt: 'Last attempt', nextAttemptAt: 'Next attempt', time: 'Time', latency: 'Latency', error: 'Error',
  responseExcerpt: 'Response excerpt', launchedAt: 'Launched', finishedAt: 'Finished', startedAt: 'Started', scheduledFor: 'Scheduled for', nextFirings: 'Next firings', perSecond: 'Deliveries / s',
  failureReasons: 'Failure reasons', noFailures: 'No failures', reason: 'Reason', count: 'Users', example: 'Example', testSend: 'Test send (real request)',
  frequency: 'Frequency', freqOnce: 'Once per user', freqAtMostEvery: 'At most every', atMostEvery: 'Interval', eventFilters: 'Event property filters', filterValueHint: 'value (lists: comma-separated)',
  campaignTimeZone: 'Campaign time zone', sendAtHint: 'Send time (picked in your time zone; empty: now)', previewAs: 'As user (optional: login or visitor id)', renderOnly: 'Preview (nothing is sent)', renderFor_segment: 'Rendered for segment member {{user}}', renderFor_user: 'Rendered for user {{user}}',
  renderFor_sample: 'Rendered for an invented sample user (no usable segment member)', did: 'did', didNot: 'did not do', times: 'times', days: 'days',
  win_today: 'today', win_yesterday: 'yesterday', win_lastDays: 'last N days', win_sinceYesterday: 'since yesterday', win_sinceDaysAgo: 'since N days ago', win_sinceDate: 'since a day', win_between: 'between days', win_ever: 'any time',
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
  op_in: 'is one of', op_notIn: 'is none of', op_startsWith: 'starts with', op_exists: 'has a value', op_notExists: 'has no value', op_before: 'before', op_after: 'after', op_withinLastDays: 'within the last N days',
  // The audit trail (admin keys).
  audit: 'Audit trail', auditActor: 'Who', auditAction: 'Action', auditTarget: 'Object', auditChange: 'Change', auditAdminOnly: 'Only an admin key may read the audit trail (403)', loadMore: 'Load more',
  act_created: 'created', act_changed: 'changed', act_launched: 'launched', act_paused: 'paused', act_resumed: 'resumed', act_cancelled: 'cancelled', act_triggered: 'sent once now', act_rotated: 'rotated the secret', act_deleted: 'deleted', act_revoked: 'revoked', act_erased: 'erased user data',
  tt_channel: 'channel', tt_segment: 'segment', tt_campaign: 'campaign', tt_api_key: 'API key', tt_user: 'user',
  effectSettings: 'Measuring the effect (conversion goal and control group)', goalEvent: 'Goal event', goalWithin: 'Within', goalValue: 'Value property (optional)', holdoutPercent: 'Held out', addGoalFilter: 'Add an event property filter',
  effectSettingsHint: 'A user converts when they do the goal event within the window after their send succeeded (held out: after they would have been sent). Held-out users are not sent: they show how many would have converted anyway. Leave empty for none.',
  afterMinutes: '{{n}} min', afterHours: '{{n}} h', afterDays: '{{n}} days', effectChart: 'Cumulative conversion rate', timeSinceSend: 'Time since sending', sentGroup: 'Sent group', controlGroup: 'Control group',
  effectNobodyYet: 'Nobody to measure yet',
  effectSentence: 'Sent group converted {{sent}} (±{{sentHalf}}), control group {{control}} (±{{controlHalf}}): {{diff}} percentage points (95% CI {{range}})',
  effectSentenceNoControl: 'Sent group converted {{sent}} (±{{sentHalf}}); without a control group the uplift cannot be measured', rangeTo: '{{low}} to {{high}}',
  effectSignificant: 'The difference is significant (p {{p}})', effectNotSignificant: 'The difference is not significant yet (p {{p}}): it may be chance', effectRelative: 'relative uplift {{uplift}}',
  effectCounts: 'sent group: {{sentConversions}} of {{sentUsers}} converted', effectControlCounts: 'control group: {{controlConversions}} of {{controlUsers}}', effectValue: 'value per user: sent {{sent}}, control {{control}}',
  redrawn: 'New control group drawn (draw {{draw}}); it applies from the next run', effectFinal: 'Final', effectProvisionalUntil: 'Provisional: the window closes', effectProvisionalSending: 'Provisional: still sending',
  effect: 'Effect', allRuns: 'All runs', redrawConfirm: 'Draw a new control group? Later runs hold out other users', redraw: 'New control group', effectNoGoal: 'This campaign has no conversion goal',
  effectGoal: 'goal: {{event}} within {{within}}', effectHoldout: 'control group {{percent}}% (draw {{draw}})', effectNoHoldout: 'no control group',
  held_out: 'Held out', st_held_out: 'held out (not sent)', heldOutAt: 'Would have been sent',
};


/*
 * The API's error codes (lib/errors.ts): err_<answer code> and issue_<field issue code>,
 * interpolated with the code's params.
 */
const zhCodes = {
  err_validation_failed: '有字段不符合要求', err_invalid_json: '请求内容不是有效的 JSON', err_payload_too_large: '请求内容太大',
  err_not_found: '找不到{{what}}', err_conflict: '当前状态下不能这样操作', err_invalid_transition: '活动当前状态为「$t(st_{{from}})」，不能这样操作', err_cannot_launch: '活动还不能上线', err_cannot_test: '活动还不能测试',
  err_channel_in_use: '有 {{count}} 个进行中的活动在使用这个渠道：{{campaigns}}', err_segment_in_use: '有 {{count}} 个进行中的活动在使用这个分群：{{campaigns}}',
  err_unauthorized: 'API 密钥缺失、错误或已吊销', err_forbidden: '这个密钥没有此操作的权限', err_too_many_failed_attempts: '错误的 API 密钥次数过多，请稍后再试',
  err_ingest_busy: '数据接收繁忙，请稍后重试', err_database_unavailable: '数据库暂时无法访问，请稍后重试', err_temporal_unavailable: 'Temporal 暂时无法访问，请稍后重试',
  err_unavailable: '服务没有及时响应，请稍后重试', err_not_ready: '服务尚未就绪', err_internal: '内部错误', err_unknown: '请求失败',
  what_user: '用户', what_campaign: '活动', what_channel: '渠道', what_segment: '分群', what_run: '运行记录', what_delivery: '该用户的投递记录（不在此活动的受众中）', 'what_api': 'API 密钥',
  issue_required: '必填', issue_required_to_launch: '上线前必须填写', issue_required_to_test: '测试前必须填写', issue_required_with_times: '次数大于 1 时必须填写时间窗口',
  issue_unknown_field: '不是可识别的字段', issue_not_empty: '不能为空', issue_too_long: '最多 {{maximum}} 个字符', issue_too_short: '至少 {{minimum}} 个字符',
  issue_too_large: '不能大于 {{maximum}}', issue_too_small: '不能小于 {{minimum}}', issue_integer_range: '必须是 {{minimum}} 到 {{maximum}} 之间的整数',
  issue_too_many: '最多 {{maximum}} 项', issue_too_few: '至少需要一项', issue_duration_too_short: '至少 {{seconds}} 秒', issue_duration_too_long: '最多 {{days}} 天',
  issue_invalid_identifier: '只能包含字母、数字和下划线，且不能以数字开头', issue_invalid_url: '必须是 http:// 或 https:// 开头的地址', issue_url_has_credentials: '地址中不能包含用户名或密码，请在鉴权方式中填写',
  issue_credentials_again: '请求地址的协议、域名或端口变了，请重新填写密钥或密码（或勾选生成新密钥）',
  issue_invalid_duration: '请填写一个时长', issue_duration_out_of_range: '时长必须在 {{minimum}} 到 {{maximum}} 之间',
  issue_invalid_datetime: '必须是带时区的日期时间', issue_invalid_date: '必须是日期（年-月-日）', issue_invalid_time_of_day: '必须是时间 HH:MM（00:00–23:59）',
  issue_invalid_time_zone: '不是有效的时区（例如 Asia/Shanghai）', issue_already_past: '已经过去了', issue_too_far_ahead: '时间太远了',
  issue_must_be_after: '必须晚于 {{other}}', issue_not_before: '不能早于 {{other}}', issue_empty_window: '开始和结束不能相同', issue_duplicate: '不能重复',
  issue_unknown_reference: '找不到这个{{kind}}', issue_reference_gone: '这个{{kind}}已经不存在', issue_invalid_id: '请选择一个{{kind}}', issue_invalid_user_key: '请填写登录 ID、访客 ID 或用户 ID',
  issue_unknown_parameter: '不是这个渠道的参数', issue_invalid_secret: '必须是 whsec_ 开头的密钥（留空则自动生成）', issue_secret_auth_only: '只有签名密钥鉴权的渠道才能轮换密钥',
  issue_invalid_cursor: '分页参数无效', issue_not_recurring_field: '周期活动不使用此项', issue_status_is: '当前是{{status}}', issue_not_set: '未设置',
  issue_attribute_type: '必须是{{type}}：{{attribute}} 是{{type}}类型的属性', issue_default_type: '默认值必须是{{type}}类型的值', issue_must_be_integer: '必须是整数', issue_must_be_number: '必须是数字', issue_must_be_text: '必须是文本',
  issue_must_be_boolean: '必须是“是”或“否”', issue_one_of: '必须是以下之一：{{values}}', issue_day_of_week: '必须是星期几', issue_day_of_month: '必须是每月的 1–31 日',
  issue_unsafe_integer: '整数太大，无法精确保存（请以文本发送）', issue_number_out_of_range: '数字超出范围', issue_invalid_json: '不是有效的 JSON', issue_template_error: '参数 {{param}} 的模板有错误', issue_invalid_type: '类型不对（应为 {{expected}}）',
  issue_invalid: '无效：{{detail}}',
  kind_channel: '渠道', kind_segment: '分群', kind_user: '用户', kind_campaign: '活动', kind_: '',
  dur_second: '{{n}} 秒', dur_minute: '{{n}} 分钟', dur_hour: '{{n}} 小时', dur_day: '{{n}} 天', dur_week: '{{n}} 周',
};
const enCodes: typeof zhCodes = {
  err_validation_failed: 'Some fields are invalid', err_invalid_json: 'The body is not valid JSON', err_payload_too_large: 'The body is too large',
  err_not_found: '{{what}} not found', err_conflict: 'Not possible in the current state', err_invalid_transition: 'The campaign is $t(st_{{from}}): it cannot {{event}} now', err_cannot_launch: 'The campaign cannot go live yet', err_cannot_test: 'The campaign cannot be tested yet',
  err_channel_in_use: '{{count}} live campaign(s) use this channel: {{campaigns}}', err_segment_in_use: '{{count}} live campaign(s) use this segment: {{campaigns}}',
  err_unauthorized: 'The API key is missing, wrong or revoked', err_forbidden: 'This key may not do that', err_too_many_failed_attempts: 'Too many wrong API keys; try again later',
  err_ingest_busy: 'Ingestion is busy; retry shortly', err_database_unavailable: 'The database is unreachable; retry shortly', err_temporal_unavailable: 'Temporal is unreachable; retry shortly',
  err_unavailable: 'No answer in time; retry shortly', err_not_ready: 'Not ready yet', err_internal: 'Internal error', err_unknown: 'The request failed',
  what_user: 'User', what_campaign: 'Campaign', what_channel: 'Channel', what_segment: 'Segment', what_run: 'Run', what_delivery: 'Delivery for this user (not in the audience of this campaign)', 'what_api': 'API key',
  issue_required: 'is required', issue_required_to_launch: 'is required to go live', issue_required_to_test: 'is required to test', issue_required_with_times: 'is required when the count is more than 1',
  issue_unknown_field: 'is not a known field', issue_not_empty: 'must not be empty', issue_too_long: 'at most {{maximum}} characters', issue_too_short: 'at least {{minimum}} characters',
  issue_too_large: 'must be at most {{maximum}}', issue_too_small: 'must be at least {{minimum}}', issue_integer_range: 'must be a whole number from {{minimum}} to {{maximum}}',
  issue_too_many: 'at most {{maximum}}', issue_too_few: 'needs at least one', issue_duration_too_short: 'at least {{seconds}} s', issue_duration_too_long: 'at most {{days}} days',
  issue_invalid_identifier: 'letters, digits and _ only, not starting with a digit', issue_invalid_url: 'must be an http:// or https:// address', issue_url_has_credentials: 'must not contain a user name or password: use the auth type',
  issue_credentials_again: 'The address\'s scheme, host or port changed: give the secret or password again (or generate a new secret)',
  issue_invalid_duration: 'enter a duration', issue_duration_out_of_range: 'must be between {{minimum}} and {{maximum}}',
  issue_invalid_datetime: 'must be a date and time with a time zone', issue_invalid_date: 'must be a date (YYYY-MM-DD)', issue_invalid_time_of_day: 'must be a time HH:MM (00:00–23:59)',
  issue_invalid_time_zone: 'not a time zone (such as Asia/Shanghai)', issue_already_past: 'is already past', issue_too_far_ahead: 'is too far ahead',
  issue_must_be_after: 'must be after {{other}}', issue_not_before: 'must not be before {{other}}', issue_empty_window: 'start and end must differ', issue_duplicate: 'must be unique',
  issue_unknown_reference: 'no {{kind}} has this id', issue_reference_gone: 'the {{kind}} no longer exists', issue_invalid_id: 'choose a {{kind}}', issue_invalid_user_key: 'enter a login id, visitor id or user id',
  issue_unknown_parameter: 'is not a parameter of this channel', issue_invalid_secret: 'must be a whsec_ secret (empty: generated)', issue_secret_auth_only: 'only a channel with a signing secret can rotate it',
  issue_invalid_cursor: 'invalid page cursor', issue_not_recurring_field: 'not used by recurring campaigns', issue_status_is: 'is {{status}}', issue_not_set: 'is not set',
  issue_attribute_type: 'must be a {{type}}: {{attribute}} is a {{type}} attribute', issue_default_type: 'the default must be a {{type}} value', issue_must_be_integer: 'must be a whole number', issue_must_be_number: 'must be a number', issue_must_be_text: 'must be text',
  issue_must_be_boolean: 'must be yes or no', issue_one_of: 'must be one of {{values}}', issue_day_of_week: 'must be a day of the week', issue_day_of_month: 'must be a day of the month 1–31',
  issue_unsafe_integer: 'integer too large to keep exactly (send it as text)', issue_number_out_of_range: 'number out of range', issue_invalid_json: 'is not valid JSON', issue_template_error: 'the template of {{param}} has an error', issue_invalid_type: 'wrong type (expected {{expected}})',
  issue_invalid: 'invalid: {{detail}}',
  kind_channel: 'channel', kind_segment: 'segment', kind_user: 'user', kind_campaign: 'campaign', kind_: '',
  dur_second: '{{n}} s', dur_minute: '{{n}} min', dur_hour: '{{n}} h', dur_day: '{{n}} days', dur_week: '{{n}} weeks',
};
Object.assign(zh, zhCodes);
Object.assign(en, enCodes);

/* Words of the operator's own forms (issue 19): inputs, confirmations, a campaign read back. */
const zhUi = {
  ok: '知道了', pauseBreaker: '熔断：最近 {{of}} 次尝试中 {{failed}} 次失败（{{classes}}）', deleteConfirm: '删除“{{name}}”？', throttled: '错误的 API 密钥次数过多，请 {{seconds}} 秒后再试', temporarySecret: '这个渠道还没保存，测试请求用的是临时密钥签名：对方用正式密钥验签会失败。保存后才会生成正式密钥（只显示一次）。',
  valueSource: '取值', src_login: '用户登录 ID', src_visitor: '访客 ID', src_attribute: '用户属性', sampleValue: '示例{{name}}',
  deliverySettings: '发送设置', userCap: '每人发送上限', userCapMax: '每人最多（次）', userCapPer: '时间范围', userCapHint: '同一用户在此时间内最多收到几次（跨所有活动）；留空则不限',
  unit_minute: '分钟', unit_hour: '小时', unit_day: '天', unit_week: '周', unit_minute_n: '{{n}} 分钟', unit_hour_n: '{{n}} 小时', unit_day_n: '{{n}} 天', unit_week_n: '{{n}} 周',
  beijingTime: '北京时间', copyName: '{{name}}（副本）', campaignIdentity: '发送给', identityGapLogin: '分群现有 {{count}} 人，其中 {{missing}} 人没有登录 ID，将被跳过', identityGapVisitor: '分群现有 {{count}} 人，其中 {{missing}} 人没有访客 ID，将被跳过',
  quietHours: '免打扰时段', quietHoursOn: '设置免打扰时段', quietFrom: '从', quietTo: '到', quietMode: '时段内的发送', quietMode_wait: '顺延到时段结束', quietMode_skip: '跳过不发',
  deleted: '已删除', editDraft: '编辑草稿', deleteDraft: '删除草稿', deleteDraftConfirm: '删除这个草稿？', copyToDraft: '复制为新草稿', openEnded: '持续进行（按事件触发）',
  confirmLaunchTitle: '确认上线', confirmSendOnceTitle: '确认立即发送一次', confirmSend: '确认发送', confirmAudience: '接收人数（按现在的分群）',
  confirmReachLogin: '{{reach}} 人（分群共 {{count}} 人，{{missing}} 人没有登录 ID 将跳过）', confirmReachVisitor: '{{reach}} 人（分群共 {{count}} 人，{{missing}} 人没有访客 ID 将跳过）',
  trigDaily: '每天 {{at}}（{{zone}}）', trigWeekly: '每周 {{days}} {{at}}（{{zone}}）', trigMonthly: '每月 {{days}} 日 {{at}}（{{zone}}）', trigCron: '按 cron「{{cron}}」（{{zone}}）', listSep: '、',
  trigEvent: '{{event}} 后', trigEventTimes: '{{event}} {{times}} 次（{{within}}内）后', trigAfter: ' {{delay}}发送', trigRightAway: '立即发送', freqOnceWords: '，每人一次', freqEveryWords: '，每人间隔至少 {{every}}',
  trigOnceNow: '立即发送一次', trigOnceAt: '{{at}}（{{zone}}）发送一次', whatItSends: '发送内容', segmentSizeNow: '（现有 {{count}} 人）', userCapWords: '每人 {{per}}内最多 {{max}} 次', noCap: '不限',
  quietWords_wait: '{{from}}–{{to}}（{{zone}}）不发送，顺延到结束后', quietWords_skip: '{{from}}–{{to}}（{{zone}}）不发送，跳过', none: '无',
};
const enUi: typeof zhUi = {
  ok: 'OK', pauseBreaker: 'circuit breaker: endpoint failed {{failed}} of the last {{of}} attempts ({{classes}})', deleteConfirm: 'Delete "{{name}}"?', throttled: 'Too many wrong API keys from this address; try again in {{seconds}} s', temporarySecret: 'This channel is not saved yet: the test was signed with a temporary secret, so the receiver\'s check with the real secret fails. The real secret is generated (and shown once) when you save.',
  valueSource: 'Value', src_login: 'Login id', src_visitor: 'Visitor id', src_attribute: 'User attribute', sampleValue: 'sample {{name}}',
  deliverySettings: 'Delivery', userCap: 'Per-user cap', userCapMax: 'At most (requests per user)', userCapPer: 'Within', userCapHint: 'How many requests one user may get within this time (across all campaigns); empty: no cap',
  unit_minute: 'minutes', unit_hour: 'hours', unit_day: 'days', unit_week: 'weeks', unit_minute_n: '{{n}} min', unit_hour_n: '{{n}} h', unit_day_n: '{{n}} days', unit_week_n: '{{n}} weeks',
  beijingTime: 'Beijing time', copyName: '{{name}} (copy)', campaignIdentity: 'Send to', identityGapLogin: 'The segment has {{count}} members now; {{missing}} have no login id and are skipped', identityGapVisitor: 'The segment has {{count}} members now; {{missing}} have no visitor id and are skipped',
  quietHours: 'Quiet hours', quietHoursOn: 'Set quiet hours', quietFrom: 'From', quietTo: 'To', quietMode: 'Sends inside them', quietMode_wait: 'wait until they end', quietMode_skip: 'are skipped',
  deleted: 'Deleted', editDraft: 'Edit draft', deleteDraft: 'Delete draft', deleteDraftConfirm: 'Delete this draft?', copyToDraft: 'Copy to a new draft', openEnded: 'Ongoing (event-triggered)',
  confirmLaunchTitle: 'Go live?', confirmSendOnceTitle: 'Send once now?', confirmSend: 'Send', confirmAudience: 'Recipients (segment as of now)',
  confirmReachLogin: '{{reach}} users ({{count}} in the segment; {{missing}} without a login id are skipped)', confirmReachVisitor: '{{reach}} users ({{count}} in the segment; {{missing}} without a visitor id are skipped)',
  trigDaily: 'Daily at {{at}} ({{zone}})', trigWeekly: 'Weekly on {{days}} at {{at}} ({{zone}})', trigMonthly: 'Monthly on day {{days}} at {{at}} ({{zone}})', trigCron: 'cron "{{cron}}" ({{zone}})', listSep: ', ',
  trigEvent: 'after {{event}},', trigEventTimes: 'after {{event}} {{times}} times (within {{within}}),', trigAfter: ' {{delay}} later', trigRightAway: ' right away', freqOnceWords: ', once per user', freqEveryWords: ', at most every {{every}} per user',
  trigOnceNow: 'Once, now', trigOnceAt: 'Once, at {{at}} ({{zone}})', whatItSends: 'What it sends', segmentSizeNow: '({{count}} members now)', userCapWords: 'at most {{max}} per user within {{per}}', noCap: 'no cap',
  quietWords_wait: 'nothing sent {{from}}–{{to}} ({{zone}}); sends wait until then', quietWords_skip: 'nothing sent {{from}}–{{to}} ({{zone}}); sends are skipped', none: 'none',
};
Object.assign(zh, zhUi);
Object.assign(en, enUi);

// Screens at their own URLs: the campaign list's search, filters and order; one run of a campaign; a link to nothing.
const zhRoutes = {
  pageNotFound: '没有这个页面', backHome: '返回首页', searchByName: '按名称搜索', allStatuses: '全部状态', allTriggers: '全部触发方式', clearFilters: '清除筛选',
  campaignsShown: '显示 {{shown}} / {{total}} 个活动', createdAt: '创建时间', showRun: '查看这次', runShown: '正在查看', runShownFor: '以下是这次运行的数据：',
  runNotFound: '链接中的这次运行不属于此活动', currentRun: '查看当前运行',
  sort_createdAt_desc: '最新创建在前', sort_createdAt_asc: '最早创建在前', sort_name_asc: '按名称 A→Z', sort_name_desc: '按名称 Z→A', sort_status_asc: '按状态（草稿在前）', sort_status_desc: '按状态（已结束在前）',
};
const enRoutes: typeof zhRoutes = {
  pageNotFound: 'No such page', backHome: 'Back to the start', searchByName: 'Search by name', allStatuses: 'All statuses', allTriggers: 'All triggers', clearFilters: 'Clear filters',
  campaignsShown: '{{shown}} of {{total}} campaigns', createdAt: 'Created', showRun: 'Show this run', runShown: 'Shown', runShownFor: 'Figures below are of the run at',
  runNotFound: 'The run in this link is not one of this campaign\'s', currentRun: 'Show the current run',
  sort_createdAt_desc: 'Newest first', sort_createdAt_asc: 'Oldest first', sort_name_asc: 'Name A→Z', sort_name_desc: 'Name Z→A', sort_status_asc: 'Status, drafts first', sort_status_desc: 'Status, ended first',
};
Object.assign(zh, zhRoutes);
Object.assign(en, enRoutes);

/* Issue 19: the channel form's delivery settings and headers; a segment opened, edited and read in words. */
const zhForms = {
  issue_reserved_header: '由 hookcast 自动设置，不能自定义', issue_connection_header: '是连接层的请求头，不能作为渠道请求头发送',
  issue_invalid_header_name: '请求头名称只能包含英文字母、数字和 !#$%&\'*+.^_`|~-，最多 100 个字符', issue_invalid_header_value: '只能包含英文可打印字符、制表符或 Latin-1 字符：不能换行，中文请先做百分号编码',
  customHeaders: '自定义请求头', customHeadersHint: 'Content-Type、Authorization、签名等请求头由 hookcast 设置，不能自定义', headerName: '请求头名称', headerValue: '值', headersLimitReached: '最多 {{n}} 个',
  requestTimeout: '请求超时', unit_second: '秒', rateLimitPerSecond: '每秒最多请求', rateLimitConcurrency: '最多同时请求', emptyIsUnlimited: '留空则不限（跨所有活动）', perSecondUnit: '次/秒', concurrencyUnit: '个',
  bodyFormat: '请求体格式', format_standard: '标准（每位用户一个请求）', format_growingio: 'GrowingIO（一个请求多位用户）', batchSize: '每个请求的用户数', batchSizeHint: '1–1000 位用户', usersUnit: '人',
  memberCount: '成员数', memberCountHint: '打开列表时逐行实时统计', editSegment: '编辑分群', segmentDetail: '分群详情', sampleTitle: '成员样本（前 {{n}} 位）', noMembers: '暂无成员',
  builderCannotShow: '这个分群的规则用到了编辑器还不能显示的条件：这里只能修改名称和时区，规则保持不变。',
  rw_and: ' 且 ', rw_or: ' 或 ', rw_group: '（{{inner}}）',
};
const enForms: typeof zhForms = {
  issue_reserved_header: 'is set by hookcast itself and cannot be overridden', issue_connection_header: 'is a connection-level header and cannot be sent as a channel header',
  issue_invalid_header_name: 'header names hold letters, digits and !#$%&\'*+.^_`|~- only, at most 100', issue_invalid_header_value: 'printable ASCII, tab or Latin-1 only: no line breaks; percent-encode other characters',
  customHeaders: 'Custom headers', customHeadersHint: 'Content-Type, Authorization, the signature and connection headers are set by hookcast', headerName: 'Header name', headerValue: 'Value', headersLimitReached: 'At most {{n}}',
  requestTimeout: 'Request timeout', unit_second: 's', rateLimitPerSecond: 'Requests per second, at most', rateLimitConcurrency: 'Requests at once, at most', emptyIsUnlimited: 'Empty: unlimited (across all campaigns)', perSecondUnit: '/ s', concurrencyUnit: 'at once',
  bodyFormat: 'Body format', format_standard: 'Standard (one request per user)', format_growingio: 'GrowingIO (several users per request)', batchSize: 'Users per request', batchSizeHint: '1–1000 users', usersUnit: 'users',
  memberCount: 'Members', memberCountHint: 'counted live, row by row, when the list is shown', editSegment: 'Edit segment', segmentDetail: 'Segment', sampleTitle: 'Sample members (first {{n}})', noMembers: 'No members yet',
  builderCannotShow: 'This segment\'s rule uses conditions the editor cannot show yet: only its name and time zone can be changed here; the rule stays as it is.',
  rw_and: ' and ', rw_or: ' or ', rw_group: '({{inner}})',
};
Object.assign(zh, zhForms);
Object.assign(en, enForms);
/* The segment rule builder (console/src/SegmentRuleBuilder.tsx): catalog pickers and each condition read back as a sentence. */
const zhBuilder = {
  addCondition: '添加条件', ruleEmpty: '还没有条件：不加条件时分群包含全部用户。点「添加条件」开始。', attributeHint: '属性名，如 vip_level', eventHint: '事件名，如 pay_order', propertyHint: '事件属性',
  valueHint: '值', valuesHint: '输入或选择多个值', yes: '是', no: '否', addPropertyFilter: '添加事件属性条件', whereLabel: '其中', daysInZone: '今天、昨天、日期和天数按 {{zone}} 计算（可在上方“时区”中更改）',
  lastSeen: '最近出现：{{ago}}', agoNow: '刚刚', agoMinutes: '{{n}} 分钟前', agoHours: '{{n}} 小时前', agoDays: '{{n}} 天前', examplesWords: '例：{{values}}', propertiesWords: '属性：{{names}}', noProperties: '无属性',
  catType_string: '文本', catType_number: '数字', catType_boolean: '是/否', catType_date: '日期', catType_object: '对象', catType_array: '列表', catType_null: '空值',
  count_atLeast: '至少', count_atMost: '至多', count_exactly: '恰好', times_atLeast: '至少 {{n}} 次', times_atMost: '至多 {{n}} 次', times_exactly: '恰好 {{n}} 次',
  w_today: '今天', w_yesterday: '昨天', w_lastDays: '最近 {{n}} 天内', w_sinceYesterday: '自昨天起', w_sinceDaysAgo: '自 {{n}} 天前起', w_sinceDate: '自 {{date}} 起', w_between: '在 {{from}} 至 {{to}} 期间',
  didSentence: '{{window}}完成过 {{event}} {{count}}{{filters}}', didNotSentence: '{{window}}没有完成过 {{event}}{{filters}}', whereWords: '（其中 {{filters}}）', andWord: '，且 ', listJoin: '、',
  cmp_equals: '{{name}} 等于 {{value}}', cmp_notEquals: '{{name}} 不等于 {{value}}', cmp_in: '{{name}} 是 {{value}} 之一', cmp_notIn: '{{name}} 不是 {{value}} 中的任何一个',
  cmp_gt: '{{name}} 大于 {{value}}', cmp_gte: '{{name}} 大于等于 {{value}}', cmp_lt: '{{name}} 小于 {{value}}', cmp_lte: '{{name}} 小于等于 {{value}}',
  cmp_contains: '{{name}} 包含“{{value}}”', cmp_startsWith: '{{name}} 以“{{value}}”开头', cmp_exists: '{{name}} 有值', cmp_notExists: '{{name}} 没有值',
  cmp_before: '{{name}} 早于 {{value}}', cmp_after: '{{name}} 晚于 {{value}}', cmp_withinLastDays: '{{name}} 在最近 {{value}} 天内', cmp_anniversaryToday: '今天是 {{name}} 的周年日',
};
const enBuilder: typeof zhBuilder = {
  addCondition: 'Add condition', ruleEmpty: 'No conditions yet: without one the segment holds every user. Click "Add condition" to start.', attributeHint: 'attribute, e.g. vip_level', eventHint: 'event, e.g. pay_order', propertyHint: 'event property',
  valueHint: 'value', valuesHint: 'type or pick several values', yes: 'yes', no: 'no', addPropertyFilter: 'Add property condition', whereLabel: 'where', daysInZone: 'Today, yesterday, dates and days are counted in {{zone}} (change it under "Time zone" above)',
  lastSeen: 'last seen {{ago}}', agoNow: 'just now', agoMinutes: '{{n}} min ago', agoHours: '{{n}} h ago', agoDays: '{{n}} days ago', examplesWords: 'e.g. {{values}}', propertiesWords: 'properties: {{names}}', noProperties: 'no properties',
  catType_string: 'text', catType_number: 'number', catType_boolean: 'yes/no', catType_date: 'date', catType_object: 'object', catType_array: 'list', catType_null: 'null',
  count_atLeast: 'at least', count_atMost: 'at most', count_exactly: 'exactly', times_atLeast: 'at least {{n}} times', times_atMost: 'at most {{n}} times', times_exactly: 'exactly {{n}} times',
  w_today: ' today', w_yesterday: ' yesterday', w_lastDays: ' in the last {{n}} days', w_sinceYesterday: ' since yesterday', w_sinceDaysAgo: ' since {{n}} days ago', w_sinceDate: ' since {{date}}', w_between: ' between {{from}} and {{to}}',
  didSentence: 'did {{event}} {{count}}{{window}}{{filters}}', didNotSentence: 'did not do {{event}}{{window}}{{filters}}', whereWords: ' (where {{filters}})', andWord: ' and ', listJoin: ', ',
  cmp_equals: '{{name}} equals {{value}}', cmp_notEquals: '{{name}} does not equal {{value}}', cmp_in: '{{name}} is one of {{value}}', cmp_notIn: '{{name}} is none of {{value}}',
  cmp_gt: '{{name}} is greater than {{value}}', cmp_gte: '{{name}} is at least {{value}}', cmp_lt: '{{name}} is less than {{value}}', cmp_lte: '{{name}} is at most {{value}}',
  cmp_contains: '{{name}} contains "{{value}}"', cmp_startsWith: '{{name}} starts with "{{value}}"', cmp_exists: '{{name}} has a value', cmp_notExists: '{{name}} has no value',
  cmp_before: '{{name}} is before {{value}}', cmp_after: '{{name}} is after {{value}}', cmp_withinLastDays: '{{name}} is within the last {{value}} days', cmp_anniversaryToday: 'today is the anniversary of {{name}}',
};
Object.assign(zh, zhBuilder);
Object.assign(en, enBuilder);
