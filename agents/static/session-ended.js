// Loaded first by every logged-in page: a call of ours answered 401 means the session ended (logged
// out elsewhere, idle too long, account disabled, Redis lost its data), so the page goes to the login
// form, which brings the user back here; a 403 "password_change_required" goes to the password form.
"use strict";

(() => {
  const original = window.fetch.bind(window);
  window.fetch = async (...args) => {
    const response = await original(...args);
    if (new URL(response.url || location.href, location.href).origin !== location.origin) return response;
    if (response.status === 401) {
      location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
    } else if (response.status === 403) {
      const body = await response.clone().json().catch(() => ({}));
      if (body.code === "password_change_required") location.href = "/password";
    }
    return response;
  };
})();
