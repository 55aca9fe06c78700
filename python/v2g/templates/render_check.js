// Counts the images that decoded and the tables, and how many pixels the page is wider than
// the window (0: nothing needs sideways scrolling), and writes the result on <body>: the only
// way a headless browser's --dump-dom can tell the tests what the page looked like once loaded.
window.addEventListener('load', function () {
  var imgs = document.images, ok = 0;
  for (var i = 0; i < imgs.length; i++) if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++;
  document.body.setAttribute('data-render-check',
    'images=' + ok + '/' + imgs.length + ' tables=' + document.getElementsByTagName('table').length +
    ' overflow_px=' + Math.max(0, document.documentElement.scrollWidth - window.innerWidth));
});
