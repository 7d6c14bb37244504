// Wide tables scroll inside their own box instead of widening the page: every table of the main content that
// is not already in a .table-responsive box is put in one.
document.querySelectorAll("main table").forEach(function (table) {
  if (table.closest(".table-responsive")) return;
  var box = document.createElement("div");
  box.className = "table-responsive";
  table.parentNode.insertBefore(box, table);
  box.appendChild(table);
});
