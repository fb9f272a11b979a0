// A table preview's source_line cells become links to the cited line of the source report:
// /report/<source_report>#L<source_line>. The report id is used as text, never assumed numeric.
(function () {
  function link(settings) {
    if (typeof gdataDict === 'undefined') return;
    var ids = gdataDict.map(function (f) { return f.id; });
    var report = ids.indexOf('source_report'), line = ids.indexOf('source_line');
    if (report < 0 || line < 0) return;
    var root = (document.body.getAttribute('data-site-root') || '/').replace(/\/?$/, '/');
    var api = new $.fn.dataTable.Api(settings);
    api.rows({page: 'current'}).every(function () {
      var row = this.data();
      var reportId = Array.isArray(row) ? row[report + 1] : row.source_report;
      var lineNo = Array.isArray(row) ? row[line + 1] : row.source_line;
      var cell = api.cell(this.index(), line + 1).node();
      if (!cell || reportId === null || reportId === undefined || lineNo === null || lineNo === undefined) return;
      var text = String(lineNo).replace(/<[^>]*>/g, '').trim();
      var id = String(reportId).replace(/<[^>]*>/g, '').trim();
      if (!/^\d+$/.test(text) || !id) return;
      var a = document.createElement('a');
      a.href = root + 'report/' + encodeURIComponent(id) + '#L' + text;
      a.target = '_top';
      a.className = 'provenance-link';
      a.title = id + ' : ' + text;
      a.textContent = text;
      cell.textContent = '';
      cell.appendChild(a);
    });
  }
  $(document).on('draw.dt', function (e, settings) { link(settings); });
})();
