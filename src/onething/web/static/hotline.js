// 12345 受理台: Ctrl+Enter (or Cmd+Enter) submits the entry form from any field.
document.addEventListener("keydown", function (e) {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
    var form = e.target && e.target.form;
    if (form && form.id === "entry") { e.preventDefault(); form.requestSubmit(); }
  }
});
