// Labels in Chinese (default) and English. Elements carry data-i18n="key".
const STRINGS = {
  zh: {
    title: "调度台", date: "日期", branch: "网点", all_branches: "全部网点", sign_in: "登录", sign_out: "退出",
    api_key: "API 密钥", key_hint: "密钥只保存在本浏览器会话中。", board: "日程看板", map: "路线地图",
    unassigned: "未分配", kpis: "网点指标", book: "预约上门", plan_replan: "排程与重排",
    p_emergency: "紧急", p_high: "高", p_normal: "普通", promised_slot: "已承诺时段", travel: "路途",
    lunch: "午休", outside_slot: "超出时段", engineer: "工程师", all_engineers: "全部工程师",
    request: "工单", reason: "原因", detail: "说明", customer: "客户", phone: "电话", address: "地址",
    lat: "纬度", lon: "经度", product: "产品", priority: "优先级", fault: "故障", find_slots: "查找可约时段",
    offers: "可选时段", book_slot: "确认预约", time_limit: "求解时间 (秒)", run_plan: "为本日排程",
    stop: "停止", replan: "当天重排", event: "事件", ev_engineer_unavailable: "工程师不可用",
    ev_visit_started: "开始维修", ev_visit_finished: "完成维修", ev_visit_overrun: "维修超时",
    ev_cancellation: "客户取消", ev_no_show: "客户不在家", at_time: "事件时间", now_time: "从此时重排", no_job: "该日没有已完成的排程任务，请先排程。", run_replan: "重排剩余日程",
    close: "关闭", move_visit: "改派 / 改时段", slot: "时段", check_and_save: "检查并保存",
    keep_slot: "保持原时段", loading: "加载中…", no_plan: "该日没有生效的排程。", loaded: "已加载",
    visits: "个上门", engineers_on_shift: "名工程师在班", bad_key: "密钥无效。", forbidden: "此角色无权执行该操作。",
    not_found: "未找到（或不在您的网点范围内）。", not_available: "服务端尚未提供此功能", no_tiles: "未配置地图底图：路线绘制在空白背景上。",
    role: "角色", arrival: "到达", start: "开始", end: "结束", travel_min: "路途 (分钟)", travel_km: "路途 (公里)",
    promised: "已承诺", status: "状态", violations: "违反规则，未保存：", saved: "已保存为新版本", checking: "检查中…",
    km: "公里", travel_per_visit: "每单路途 (分钟)", utilisation: "利用率", punctuality: "准时率",
    emergencies_served: "紧急单完成", workload_spread: "工作量标准差 (分钟)", assigned: "已分配", requests: "工单数",
    plan_queued: "排程任务已提交", plan_done: "排程完成", plan_failed: "排程失败", grade: "等级", eta: "预计到达", surcharge: "远程附加费", why: "理由",
    booked: "预约成功", work_order: "工单号", verification_code: "验证码", slot_gone: "该时段已被占用，请另选：",
    no_offers: "没有可约时段", moved: "调整", reassigned: "改派", broken_promises: "违约", dropped: "未能安排",
    notify: "需通知", no_changes: "无变化", home: "出发地", break_: "午休", unassigned_count: "未分配",
    r_no_eligible_engineer: "无具备技能的工程师", r_no_engineer_on_shift: "无在班工程师", r_out_of_reach: "距离过远",
    r_no_capacity: "运力不足", r_outside_horizon: "超出排程范围", r_promised_other_day: "已约其他日期",
    r_needs_location: "缺少位置", r_cancelled: "已取消", r_no_show: "客户不在家",
  },
  en: {
    title: "Dispatch desk", date: "Date", branch: "Branch", all_branches: "All branches", sign_in: "Sign in",
    sign_out: "Sign out", api_key: "API key", key_hint: "The key is kept for this browser session only.",
    board: "Day board", map: "Route map", unassigned: "Unassigned", kpis: "Branch KPIs", book: "Book a visit",
    plan_replan: "Plan & re-plan", p_emergency: "Emergency", p_high: "High", p_normal: "Normal",
    promised_slot: "Promised slot", travel: "Travel", lunch: "Lunch", outside_slot: "Outside slot",
    engineer: "Engineer", all_engineers: "All engineers", request: "Request", reason: "Reason", detail: "Detail",
    customer: "Customer", phone: "Phone", address: "Address", lat: "Latitude", lon: "Longitude",
    product: "Product", priority: "Priority", fault: "Fault", find_slots: "Find slots", offers: "Slots on offer",
    book_slot: "Book this slot", time_limit: "Search time (s)", run_plan: "Plan this day", stop: "Stop",
    replan: "Re-plan the rest of the day", event: "Event", ev_engineer_unavailable: "Engineer unavailable",
    ev_visit_started: "Visit started", ev_visit_finished: "Visit finished", ev_visit_overrun: "Visit overrun",
    ev_cancellation: "Cancellation", ev_no_show: "No show", at_time: "Event time", now_time: "Re-plan from", no_job: "No finished plan job for this day: plan it first.", run_replan: "Re-plan",
    close: "Close", move_visit: "Move this visit", slot: "Slot", check_and_save: "Check and save",
    keep_slot: "Keep its slot", loading: "Loading…", no_plan: "No plan in force on this day.", loaded: "Loaded",
    visits: "visits", engineers_on_shift: "engineers on shift", bad_key: "Unknown API key.",
    forbidden: "Your role may not do this.", not_found: "Not found (or not in your branches).",
    not_available: "The service does not offer this yet", no_tiles: "No map tiles configured: routes drawn on a plain background.",
    role: "Role", arrival: "Arrival", start: "Start", end: "End", travel_min: "Travel (min)", travel_km: "Travel (km)",
    promised: "Promised", status: "Status", violations: "Refused, the edit breaks these rules:", saved: "Saved as a new version",
    checking: "Checking…", km: "km", travel_per_visit: "Travel per visit (min)", utilisation: "Utilisation",
    punctuality: "On time", emergencies_served: "Emergencies served", workload_spread: "Workload spread (min)",
    assigned: "Assigned", requests: "Requests", plan_queued: "Plan job queued", plan_done: "Plan done",
    plan_failed: "Plan failed", grade: "Grade", eta: "ETA", surcharge: "remote surcharge", why: "Why", booked: "Booked", work_order: "Work order",
    verification_code: "Verification code", slot_gone: "That slot is gone; choose another:", no_offers: "No slot on offer",
    moved: "Moved", reassigned: "Reassigned", broken_promises: "Broken promises", dropped: "Dropped", notify: "Notify",
    no_changes: "No changes", home: "Home", break_: "Break", unassigned_count: "Unassigned",
    r_no_eligible_engineer: "No engineer with the skills", r_no_engineer_on_shift: "No engineer on shift",
    r_out_of_reach: "Out of reach", r_no_capacity: "No capacity", r_outside_horizon: "Outside the horizon",
    r_promised_other_day: "Promised another day", r_needs_location: "Needs a location", r_cancelled: "Cancelled",
    r_no_show: "No show",
  },
};

let lang = localStorage.getItem("desk.lang") === "en" ? "en" : "zh";

/** The label of `key` in the current language (the key itself when none). */
export function t(key) {
  return STRINGS[lang][key] ?? STRINGS.zh[key] ?? key;
}

/** The current language, "zh" or "en". */
export function language() {
  return lang;
}

/** Switch language and relabel every element that carries data-i18n. */
export function setLanguage(next) {
  lang = next === "en" ? "en" : "zh";
  localStorage.setItem("desk.lang", lang);
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  applyLabels(document);
}

/** Relabel the elements under `root`. */
export function applyLabels(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  document.title = `${t("title")} · Dispatch desk`;
}
