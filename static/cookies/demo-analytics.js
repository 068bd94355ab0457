/* Demo analytics, served from this site. It runs only once the visitor allows analytics (cookies.js
   activates it), counts page views in a first-party cookie and says so on window, so the effect of a
   cookie choice can be seen in the browser's storage panel. */
(function () {
  "use strict";
  var m = document.cookie.match(/(?:^|; )_pp_analytics=(\d+)/), views = m ? Number(m[1]) + 1 : 1;
  document.cookie = "_pp_analytics=" + views + "; Max-Age=" + 60 * 60 * 24 * 30 + "; Path=/; SameSite=Lax" +
    (location.protocol === "https:" ? "; Secure" : "");
  window.ppAnalytics = { ran: true, pageViews: views };
}());
