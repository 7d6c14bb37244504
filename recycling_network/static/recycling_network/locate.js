/* "Use my location" on the public list: fill the near field from the browser's position and submit. */
(function () {
  "use strict";
  var button = document.getElementById("locate");
  if (!button) { return; }
  button.addEventListener("click", function () {
    if (!navigator.geolocation) { return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("f-near").value = pos.coords.latitude.toFixed(5) + "," + pos.coords.longitude.toFixed(5);
      document.getElementById("sp-filters").submit();
    });
  });
})();
