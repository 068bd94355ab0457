/* Demo marketing snippet, served from this site. It runs only once the visitor allows marketing
   (cookies.js activates it) and sets a first-party cookie, so the effect of a choice can be seen. */
(function () {
  "use strict";
  document.cookie = "_pp_marketing=1; Max-Age=" + 60 * 60 * 24 * 30 + "; Path=/; SameSite=Lax" +
    (location.protocol === "https:" ? "; Secure" : "");
  window.ppMarketing = { ran: true };
}());
