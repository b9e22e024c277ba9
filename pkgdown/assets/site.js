/* lsmoe site script: what pkgdown 2.0.7's pkgdown.js does, without the five libraries it loads
 * from CDNs (bootstrap-toc, headroom, clipboard.js, fuse.js + autocomplete.js, mark.js), so that
 * the site works offline. jQuery and Bootstrap 5 come from the site's own deps/ (bslib).
 *   - "On this page": the h2/h3 headings of <main> as nested .nav lists, with scrollspy;
 *   - popovers and tooltips;
 *   - a copy button on each code block;
 *   - search over search.json (every word of the query in the entry), results in a dropdown;
 *   - the words of ?q= marked on the page a search result opens.
 */
(function($) {
  "use strict";

  /* Table of contents (as bootstrap-toc: top level is the first heading level with more than
     one heading, and the level below it nests under the heading before it) --------------- */
  function slug(text) {
    return text.trim().toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  }

  function anchorFor(el, used) {
    if (el.id) return el.id;
    var base = slug($(el).text()) || el.tagName.toLowerCase(), id = base, i = 1;
    while (used[id] || document.getElementById(id)) id = base + "-" + (i++);
    used[id] = true;
    el.id = id;
    return id;
  }

  function buildToc($nav, $headings) {
    $headings = $headings.filter(":not([data-toc-skip])");
    if (!$nav.length || !$headings.length) return;
    var top = 1;
    for (var level = 1; level <= 6; level++) {
      if ($headings.filter("h" + level).length > 1) { top = level; break; }
    }
    $headings = $headings.filter("h" + top + ", h" + (top + 1));
    var used = {};
    var $root = $('<ul class="nav navbar-nav"></ul>').appendTo($nav);
    var $context = $root, $prev = null;
    $headings.each(function() {
      var $a = $('<a class="nav-link"></a>')
        .attr("href", "#" + anchorFor(this, used))
        .text($(this).data("toc-text") || $(this).text());
      var $li = $("<li></li>").append($a);
      var level = parseInt(this.tagName.charAt(1), 10);
      if (level === top) {
        $context = $root;
      } else if ($prev && $context === $root) {
        $context = $('<ul class="nav navbar-nav"></ul>').appendTo($prev);
      }
      $context.append($li);
      $prev = $li;
    });
    $nav.attr("data-toggle", "toc");
  }

  /* Copy buttons ------------------------------------------------------------------------ */
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function(resolve, reject) {
      var ta = document.createElement("textarea");
      ta.value = text;
      ta.setAttribute("readonly", "");
      ta.style.position = "fixed";
      ta.style.opacity = "0";
      document.body.appendChild(ta);
      ta.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(ta);
      if (ok) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }

  function addCopyButtons() {
    $("div.sourceCode").addClass("hasCopyButton").each(function() {
      var block = this;
      var $btn = $("<button type='button' class='btn btn-primary btn-copy-ex' " +
        "title='Copy to clipboard' aria-label='Copy to clipboard'><i class='fa fa-copy'></i></button>");
      $btn.prependTo(block);
      var tip = bootstrap.Tooltip.getOrCreateInstance($btn[0], {container: "body", placement: "left", trigger: "hover"});
      $btn.on("click", function() {
        // the code without the output lines (#>) that knitr interleaves
        var text = block.textContent.replace(/\n#>[^\n]*/g, "");
        copyText(text).then(function() { flash("Copied!"); },
                            function() { flash("Press Ctrl+C or Command+C to copy"); });
      });
      function flash(msg) {
        tip.setContent({".tooltip-inner": msg});
        tip.show();
        setTimeout(function() { tip.setContent({".tooltip-inner": "Copy to clipboard"}); }, 1500);
      }
    });
  }

  /* Search ------------------------------------------------------------------------------ */
  var index = null, loading = null;

  function loadIndex(url) {
    if (index) return Promise.resolve(index);
    if (!loading) {
      loading = fetch(url)
        .then(function(r) { if (!r.ok) throw new Error("search index: HTTP " + r.status); return r.json(); })
        .then(function(data) {
          index = data.map(function(d, i) {
            d._what = (d.what || "").toLowerCase();
            d._title = (d.title || "").toLowerCase();
            d._body = ((d.text || "") + " " + (d.code || "")).toLowerCase();
            d._order = i;
            return d;
          });
          return index;
        })
        .catch(function(e) { loading = null; console.warn(e.message); return []; });
    }
    return loading;
  }

  // Every word of the query must occur in the entry; a word in the section heading counts 3, in
  // the page title 2, in the text or code 1, and the whole query as a phrase in the heading or
  // title 1 more. Ties keep the order of search.json.
  function search(entries, query) {
    var q = query.toLowerCase().trim();
    var words = q.split(/\s+/).filter(function(w) { return w.length > 0; });
    if (!words.length) return [];
    var hits = [];
    entries.forEach(function(d) {
      var score = 0;
      for (var i = 0; i < words.length; i++) {
        if (d._what.indexOf(words[i]) >= 0) score += 3;
        else if (d._title.indexOf(words[i]) >= 0) score += 2;
        else if (d._body.indexOf(words[i]) >= 0) score += 1;
        else return;
      }
      if (d._what.indexOf(q) >= 0 || d._title.indexOf(q) >= 0) score += 1;
      hits.push({d: d, score: score});
    });
    hits.sort(function(a, b) { return b.score - a.score || a.d._order - b.d._order; });
    return hits.slice(0, 20).map(function(h) { return h.d; });
  }

  function escapeHtml(s) {
    return String(s || "").replace(/[&<>"']/g, function(c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function setupSearch() {
    var $input = $("#search-input");
    if (!$input.length) return;
    var root = $input.data("search-index").replace(/search\.json$/, "");
    var $menu = $('<div class="dropdown-menu lsmoe-search-results" role="listbox"></div>');
    $input.closest("form").css("position", "relative").append($menu)
      .on("submit", function(e) { e.preventDefault(); var $first = $menu.find("a").first(); if ($first.length) window.location.href = $first.attr("href"); });
    $input.one("focus", function() { loadIndex($input.data("search-index")); });

    function hrefOf(d, q) {
      var path = d.path || "";
      if (!/^[a-z]+:\/\//i.test(path)) path = root + path.replace(/^\//, "");
      return path + "?q=" + encodeURIComponent(q) + (d.id ? "#" + d.id : "");
    }

    $input.on("input", function() {
      var q = $input.val();
      if (q.trim().length < 2) { $menu.removeClass("show").empty(); return; }
      loadIndex($input.data("search-index")).then(function(entries) {
        if ($input.val() !== q) return;
        var hits = search(entries, q);
        $menu.empty();
        if (!hits.length) {
          $menu.append('<span class="dropdown-item-text">No results found.</span>');
        }
        hits.forEach(function(d) {
          var where = [d.dir, d.title, d.previous_headings, d.what !== d.title ? d.what : ""]
            .filter(function(x) { return x; }).map(escapeHtml).join(" &rsaquo; ");
          $menu.append($('<a class="dropdown-item"></a>').attr("href", hrefOf(d, q)).html(where));
        });
        $menu.addClass("show");
        // headings with TeX in them
        if (window.MathJax && window.MathJax.Hub) window.MathJax.Hub.Queue(["Typeset", window.MathJax.Hub, $menu[0]]);
      });
    });
    $input.on("keydown", function(e) {
      if (e.key === "Escape") { $menu.removeClass("show"); }
      if (e.key === "ArrowDown") { e.preventDefault(); $menu.find("a").first().focus(); }
    });
    $menu.on("keydown", "a", function(e) {
      if (e.key === "ArrowDown") { e.preventDefault(); $(this).next("a").focus(); }
      if (e.key === "ArrowUp") { e.preventDefault(); var $p = $(this).prev("a"); if ($p.length) $p.focus(); else $input.focus(); }
      if (e.key === "Escape") { $menu.removeClass("show"); $input.focus(); }
    });
    $(document).on("click", function(e) {
      if (!$(e.target).closest($input.closest("form")).length) $menu.removeClass("show");
    });
  }

  /* Mark the words of ?q= in <main> ------------------------------------------------------ */
  function markQuery() {
    var q = new URL(window.location.href).searchParams.get("q");
    var main = document.querySelector("main#main");
    if (!q || !main) return;
    var words = q.split(/\s+/).filter(function(w) { return w.length > 1; })
      .map(function(w) { return w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); });
    if (!words.length) return;
    var re = new RegExp("(" + words.join("|") + ")", "gi");
    var has = new RegExp(words.join("|"), "i");
    var walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT, {
      acceptNode: function(n) {
        return /^(SCRIPT|STYLE|MARK)$/.test(n.parentNode.nodeName) || !has.test(n.nodeValue) ?
          NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
      }
    });
    var nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    nodes.forEach(function(n) {
      var span = document.createElement("span");
      span.innerHTML = escapeHtml(n.nodeValue).replace(re, "<mark>$1</mark>");
      n.parentNode.replaceChild(span, n);
    });
  }

  $(function() {
    buildToc($("#toc"), $("main h2, main h3, main h4, main h5, main h6"));
    if ($("#toc").length) {
      bootstrap.ScrollSpy.getOrCreateInstance(document.body, {
        target: "#toc",
        offset: $("nav.navbar").outerHeight() + 1
      });
    }
    document.querySelectorAll('[data-bs-toggle="popover"]').forEach(function(el) {
      bootstrap.Popover.getOrCreateInstance(el, {container: "body", html: true, trigger: "focus",
                                                 placement: "top", sanitize: false});
    });
    document.querySelectorAll('[data-bs-toggle="tooltip"]').forEach(function(el) {
      bootstrap.Tooltip.getOrCreateInstance(el);
    });
    addCopyButtons();
    setupSearch();
    markQuery();
  });
})(window.jQuery);
