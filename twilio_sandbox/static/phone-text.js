// Labels of the softphone in Chinese and English, and how each call log entry reads to a person.
"use strict";

window.PhoneText = (() => {
  const labels = {
    "zh-CN": {
      title: "沙盒软电话", from: "我的号码", to: "拨打热线", say: "说", dial: "拨号", hangup: "挂断",
      voiceTitle: "朗读提示音（开/关）", voice: "朗读", speechPlaceholder: "说点什么，例如：报修",
      hint: "拨通后，提示音会显示在上方；可以按键或打字“说话”。",
      idle: "空闲", calling: "正在呼叫…", connected: "通话中", queued: "排队等候中", agent: "已接通坐席",
      ended: "通话结束", noNumbers: "沙盒未配置热线号码",
    },
    en: {
      title: "Sandbox softphone", from: "My number", to: "Hotline", say: "Say", dial: "Call", hangup: "Hang up",
      voiceTitle: "Read prompts aloud (on/off)", voice: "Voice", speechPlaceholder: "Say something, e.g. repair",
      hint: "Once connected, prompts appear above; press keys or type to “speak”.",
      idle: "Idle", calling: "Calling…", connected: "Connected", queued: "Waiting in queue", agent: "Agent connected",
      ended: "Call ended", noNumbers: "The sandbox has no hotline numbers",
    },
  };

  // (entry, lang) → {text, kind, state?} or null for entries a caller would not notice.
  const describe = (entry, lang) => {
    const zh = lang === "zh-CN";
    const t = (cn, en) => (zh ? cn : en);
    switch (entry.event) {
      case "incoming":
        return { kind: "note", text: t(`正在呼叫 ${entry.to}`, `Calling ${entry.to}`), state: "calling" };
      case "say":
        // A prompt only means "connected" while still calling: in a queue the caller is still queued.
        return { kind: "say", text: entry.text, lang: entry.language, state: "connected", soft: true };
      case "play":
        return { kind: "note", text: t("♪ 正在播放音频", "♪ Playing audio") };
      case "pause":
        return { kind: "note", text: t(`… 停顿 ${entry.seconds} 秒`, `… pause ${entry.seconds} s`) };
      case "gather-start": {
        const speech = (entry.input || "").includes("speech");
        return { kind: "note", text: speech ? t("请按键或说话", "Press keys or speak") : t("请按键", "Press keys") };
      }
      case "input":
        return { kind: "me", text: entry.kind === "speech" ? `“${entry.value}”` : t(`按键 ${entry.value}`, `Key ${entry.value}`) };
      case "input-ignored":
        return { kind: "note", text: t(`未被识别：${entry.value}`, `Not taken: ${entry.value}`) };
      case "gather":
        return entry.timed_out ? { kind: "note", text: t("未收到输入", "No input") } : null;
      case "enqueue":
        return { kind: "note", text: t(`进入队列 ${entry.queue}`, `Joined queue ${entry.queue}`), state: "queued" };
      case "queue-left":
        return { kind: "note", text: t("离开队列", "Left the queue") };
      case "ringing":
        return entry.seconds === undefined && !entry.client ? null : { kind: "note", text: t("正在转接坐席…", "Ringing an agent…") };
      case "bridged":
        return { kind: "good", text: t("坐席已接通", "Agent connected"), state: "agent" };
      case "bridge-ended":
        return { kind: "note", text: t("坐席已离开", "The agent left"), state: "connected" };
      case "dial-no-answer":
      case "dial-rejected":
        return { kind: "note", text: t("坐席未接听", "No agent answered") };
      case "conference-joined":
        return { kind: "note", text: t("进入会议，请稍候", "Joined the conference, please hold"), state: "queued" };
      case "conference-audio":
        if (entry.music) return { kind: "note", text: t("♪ 等待音乐", "♪ Hold music"), state: "queued" };
        return entry.hears.length ? { kind: "good", text: t("已接通", "Connected to the conference"), state: "agent" } : null;
      case "conference-left":
        return { kind: "note", text: t("已离开会议", "Left the conference"), state: "connected" };
      case "beep":
        return { kind: "note", text: t("● 哔——请留言（按 # 结束）", "● Beep — leave a message (# to finish)") };
      case "application-error":
        return { kind: "bad", text: t("抱歉，应用出错", "Sorry, an application error occurred") };
      case "end":
        return { kind: "bad", text: t(`通话结束（${entry.status}，${entry.duration} 秒）`, `Call ended (${entry.status}, ${entry.duration} s)`), state: "ended" };
      default:
        return null;
    }
  };

  return { labels, describe };
})();
