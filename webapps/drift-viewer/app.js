/* dataiku-iac drift viewer (plain JS, no build step, no external resources).
 *
 * Canonical copy: python-lib/dataiku_iac/webapp/static/app.js; webapps/drift-viewer/app.js is the identical DSS
 * copy. Backend calls go through getWebAppBackendUrl(path), which DSS defines (and `dataiku-iac serve` shims).
 *
 * Safety rule: every string that comes from DSS or the state (names, descriptions, code, users) is written with
 * textContent or as a text node, never parsed as HTML; `h()` below is the only way this file builds elements.
 */
(function () {
  "use strict";

  var PAGE_SIZE = 100;
  var SEARCH_DELAY_MS = 150;
  var CHANGE_KINDS = ["added", "removed", "modified"];
  var SYMBOLS = {added: "+", removed: "\u2212", modified: "~"};
  var PLAN_SYMBOLS = {create: "+", update: "~", replace: "\u2212/+", "delete": "\u2212", adopt: "<="};
  var PLAN_ACTIONS = [["adopt", "Import"], ["create", "Create"], ["update", "Update"], ["replace", "Replace"],
    ["delete", "Delete"]];

  // -- DOM helpers ---------------------------------------------------------------------------------------

  function h(tag, props, children) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (key) {
        var value = props[key];
        if (value === undefined || value === null || value === false) {
          return;
        }
        if (key === "text") {
          node.textContent = String(value);
        } else if (key === "className") {
          node.className = value;
        } else if (key === "dataset") {
          Object.keys(value).forEach(function (name) { node.dataset[name] = String(value[name]); });
        } else if (key === "onClick") {
          node.addEventListener("click", value);
        } else if (/^on/i.test(key)) {
          throw new Error("h(): event handler attributes are not allowed (" + key + ")");
        } else {
          node.setAttribute(key, String(value));
        }
      });
    }
    appendAll(node, children);
    return node;
  }

  function appendAll(node, children) {
    if (children === undefined || children === null) {
      return node;
    }
    (Array.isArray(children) ? children : [children]).forEach(function (child) {
      if (child === undefined || child === null || child === false) {
        return;
      }
      node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
    });
    return node;
  }

  function byId(id) {
    return document.getElementById(id);
  }

  function clear(node) {
    while (node.firstChild) {
      node.removeChild(node.firstChild);
    }
    return node;
  }

  function setText(id, text) {
    byId(id).textContent = text === undefined || text === null || text === "" ? "\u2013" : String(text);
  }

  function plural(count, word) {
    return count + " " + word + (count === 1 ? "" : "s");
  }

  // -- formatting ----------------------------------------------------------------------------------------

  function formatTime(iso) {
    if (!iso) {
      return "\u2013";
    }
    var match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(String(iso));
    var text = match ? match[1] + " " + match[2] + " UTC" : String(iso);
    var ago = relativeTime(iso);
    return ago ? text + " (" + ago + ")" : text;
  }

  function relativeTime(iso) {
    var moment = Date.parse(iso);
    if (isNaN(moment)) {
      return "";
    }
    var seconds = (Date.now() - moment) / 1000;
    if (seconds < -60) {
      return "";
    }
    if (seconds < 60) {
      return "just now";
    }
    if (seconds < 3600) {
      return Math.floor(seconds / 60) + " min ago";
    }
    if (seconds < 172800) {
      return Math.floor(seconds / 3600) + " h ago";
    }
    return Math.floor(seconds / 86400) + " days ago";
  }

  function reportTime(name) {
    // report-20250115T103000123456Z -> 2025-01-15T10:30:00Z
    var match = /^report-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})/.exec(String(name));
    return match ? match[1] + "-" + match[2] + "-" + match[3] + "T" + match[4] + ":" + match[5] + ":" +
      match[6] + "Z" : null;
  }

  function formatValue(value) {
    if (value === undefined) {
      return "(absent)";
    }
    try {
      return JSON.stringify(value, null, 2);
    } catch (error) {
      return String(value);
    }
  }

  function formatSize(bytes) {
    if (typeof bytes !== "number") {
      return "\u2013";
    }
    if (bytes < 1024) {
      return bytes + " B";
    }
    if (bytes < 1048576) {
      return (bytes / 1024).toFixed(1) + " KB";
    }
    return (bytes / 1048576).toFixed(1) + " MB";
  }

  function displayName(row) {
    if (row.name !== undefined && row.name !== null) {
      return row.project_key + "." + row.name;
    }
    return String(row.project_key || row.address);
  }

  function attribution(record) {
    if (!record.last_modified_by && !record.last_modified_at) {
      return "";
    }
    return "changed by " + (record.last_modified_by || "unknown") + " at " + formatTime(record.last_modified_at);
  }

  // -- backend -------------------------------------------------------------------------------------------

  function backendUrl(path, params) {
    var base = typeof window.getWebAppBackendUrl === "function" ? window.getWebAppBackendUrl(path) : path;
    var query = new URLSearchParams();
    Object.keys(params || {}).forEach(function (key) {
      var value = params[key];
      if (value !== undefined && value !== null && value !== "") {
        query.append(key, String(value));
      }
    });
    var text = query.toString();
    return text ? base + (base.indexOf("?") >= 0 ? "&" : "?") + text : base;
  }

  function api(path, params, body) {
    var options = {headers: {"Accept": "application/json"}, credentials: "same-origin"};
    if (body !== undefined) {
      options.method = "POST";
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(backendUrl(path, params), options).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try {
          data = text ? JSON.parse(text) : null;
        } catch (ignored) {
          data = null;
        }
        if (!response.ok) {
          var message = data && data.error && data.error.message ? data.error.message :
            "The drift viewer backend answered HTTP " + response.status;
          var error = new Error(message);
          error.status = response.status;
          error.reasons = data && data.error && Array.isArray(data.error.reasons) ? data.error.reasons : [];
          throw error;
        }
        return data;
      });
    });
  }

  // -- a list of changed resources (a drift report, or the diff of two serials) ---------------------------

  function DiffView(container, options) {
    this.container = container;
    this.options = options;
    this.index = null;
    this.rows = [];
    this.filtered = [];
    this.page = 0;
    this.details = {};
    this.searchTimer = null;
    this.build();
  }

  DiffView.prototype.build = function () {
    var view = this;
    this.messageNode = h("p", {className: "iac-empty", hidden: "hidden"});
    this.summaryNode = h("div", {className: "iac-summary"});
    this.typesNode = h("table", {className: "iac-table iac-types"});
    this.typeSelect = h("select", {"aria-label": "Filter by type", className: "iac-filter-type"});
    // A plan filters on its actions (create, update...), a drift report on its changes (added, removed...).
    var choices = this.options.filterChoices || [["added", "Added"], ["removed", "Removed"], ["modified", "Modified"]];
    this.changeSelect = h("select", {"aria-label": "Filter by change", className: "iac-filter-change"},
      [h("option", {value: "", text: this.options.allText || "All changes"})].concat(choices.map(function (choice) {
        return h("option", {value: choice[0], text: choice[1]});
      })));
    this.searchInput = h("input", {
      type: "search", className: "iac-search", "aria-label": "Search",
      placeholder: "Search ids, names, changed paths, users"
    });
    this.countNode = h("span", {className: "iac-count", "aria-live": "polite"});
    this.listNode = h("div", {className: "iac-rows"});
    this.pagerNode = h("div", {className: "iac-pager"});
    this.bodyNode = h("div", {className: "iac-diff-body", hidden: "hidden"}, [
      this.summaryNode,
      this.typesNode,
      h("div", {className: "iac-filters"}, [
        h("label", null, ["Type ", this.typeSelect]),
        h("label", null, ["Change ", this.changeSelect]),
        this.searchInput,
        this.countNode
      ]),
      this.listNode,
      this.pagerNode
    ]);
    appendAll(clear(this.container), [this.messageNode, this.bodyNode]);
    this.typeSelect.addEventListener("change", function () { view.applyFilters(); });
    this.changeSelect.addEventListener("change", function () { view.applyFilters(); });
    this.searchInput.addEventListener("input", function () {
      clearTimeout(view.searchTimer);
      view.searchTimer = setTimeout(function () { view.applyFilters(); }, SEARCH_DELAY_MS);
    });
  };

  DiffView.prototype.showMessage = function (text) {
    this.index = null;
    this.rows = [];
    this.messageNode.textContent = text;
    this.messageNode.hidden = false;
    this.bodyNode.hidden = true;
  };

  DiffView.prototype.show = function (index) {
    this.index = index;
    this.details = {};
    this.rows = (index.rows || []).map(function (row) {
      var haystack = [row.address, row.name, row.last_modified_by, row.action].concat(row.paths || []).join("\n");
      return {row: row, haystack: haystack.toLowerCase()};
    });
    this.messageNode.hidden = true;
    this.bodyNode.hidden = false;
    this.renderSummary();
    this.renderTypes();
    this.applyFilters();
  };

  DiffView.prototype.renderSummary = function () {
    var summary = this.index.summary || {};
    var kinds = this.options.summaryKinds || CHANGE_KINDS.concat(["unchanged"]);
    var parts = kinds.map(function (kind) {
      return h("span", {className: "iac-count-" + kind, dataset: {count: kind}}, [
        h("strong", {className: "iac-count-value", text: summary[kind] || 0}), " " + kind
      ]);
    });
    var changed = this.options.summaryKinds ? (this.index.rows || []).length :
      CHANGE_KINDS.reduce(function (total, kind) { return total + (summary[kind] || 0); }, 0);
    appendAll(clear(this.summaryNode), [
      h("span", {className: changed ? "iac-verdict iac-verdict-drift" : "iac-verdict iac-verdict-clean",
        text: changed ? this.options.changedText : this.options.cleanText})
    ].concat(parts));
  };

  DiffView.prototype.renderTypes = function () {
    var view = this;
    var counts = this.index.counts_by_type || {};
    var types = Object.keys(counts);
    var head = h("thead", null, h("tr", null, [
      h("th", {text: "Type"}), h("th", {text: "Added"}), h("th", {text: "Removed"}), h("th", {text: "Modified"})
    ]));
    var body = h("tbody", null, types.map(function (type) {
      return h("tr", {dataset: {type: type}}, [
        h("td", null, h("button", {
          type: "button", className: "iac-link", text: type, title: "Show only " + type + " changes",
          onClick: function () { view.typeSelect.value = type; view.applyFilters(); }
        }))
      ].concat(CHANGE_KINDS.map(function (kind) {
        return h("td", {className: "iac-num iac-" + kind, dataset: {kind: kind}, text: counts[type][kind] || 0});
      })));
    }));
    appendAll(clear(this.typesNode), [head, body]);
    this.typesNode.hidden = types.length === 0;
    var current = this.typeSelect.value;
    appendAll(clear(this.typeSelect), [h("option", {value: "", text: "All types"})].concat(types.map(function (type) {
      return h("option", {value: type, text: type});
    })));
    this.typeSelect.value = types.indexOf(current) >= 0 ? current : "";
  };

  DiffView.prototype.applyFilters = function () {
    var type = this.typeSelect.value;
    var change = this.changeSelect.value;
    var key = this.options.filterKey || "change";
    var query = this.searchInput.value.trim().toLowerCase();
    this.filtered = this.rows.filter(function (item) {
      return (!type || item.row.type === type) && (!change || item.row[key] === change) &&
        (!query || item.haystack.indexOf(query) >= 0);
    });
    this.page = 0;
    this.renderList();
  };

  DiffView.prototype.renderList = function () {
    var view = this;
    var pages = Math.max(1, Math.ceil(this.filtered.length / PAGE_SIZE));
    this.page = Math.min(this.page, pages - 1);
    var start = this.page * PAGE_SIZE;
    var shown = this.filtered.slice(start, start + PAGE_SIZE);
    clear(this.listNode);
    if (!shown.length) {
      this.listNode.appendChild(h("p", {className: "iac-empty", text: this.rows.length ?
        "No change matches these filters." : this.options.cleanText}));
    }
    var fragment = document.createDocumentFragment();
    shown.forEach(function (item) { fragment.appendChild(view.renderRow(item.row)); });
    this.listNode.appendChild(fragment);
    this.countNode.textContent = this.filtered.length ?
      "Showing " + (start + 1) + "\u2013" + (start + shown.length) + " of " + plural(this.filtered.length, "change") :
      "0 of " + plural(this.rows.length, "change");
    clear(this.pagerNode);
    if (pages > 1) {
      appendAll(this.pagerNode, [
        h("button", {type: "button", className: "iac-button iac-prev", text: "\u2039 Previous",
          disabled: this.page === 0 ? "disabled" : null, onClick: function () { view.goTo(view.page - 1); }}),
        h("span", {className: "iac-page", text: "Page " + (this.page + 1) + " of " + pages}),
        h("button", {type: "button", className: "iac-button iac-next", text: "Next \u203a",
          disabled: this.page >= pages - 1 ? "disabled" : null, onClick: function () { view.goTo(view.page + 1); }})
      ]);
    }
  };

  DiffView.prototype.goTo = function (page) {
    this.page = page;
    this.renderList();
    this.container.scrollIntoView({block: "start"});
  };

  DiffView.prototype.renderRow = function (row) {
    var view = this;
    var details = h("div", {className: "iac-details", hidden: "hidden"});
    var who = attribution(row);
    var head = h("button", {type: "button", className: "iac-row-head", "aria-expanded": "false"}, [
      h("span", {className: "iac-badge iac-" + row.change, text: (row.action ? PLAN_SYMBOLS[row.action] || "?" :
        SYMBOLS[row.change] || "?") + " " + (row.action || row.change)}),
      row.refused ? h("span", {className: "iac-refused", text: "refused"}) : null,
      h("span", {className: "iac-type", text: row.type}),
      h("span", {className: "iac-name", text: displayName(row), title: row.address}),
      row.change === "modified" ? h("span", {className: "iac-changes", text: plural(row.change_count, "attribute")}) : null,
      row.apply_status ? h("span", {
        className: "iac-apply-status iac-status-" + String(row.apply_status).replace(/[^a-z]+/g, "-"),
        text: row.apply_status + (row.apply_error ? " (" + row.apply_error + ")" : "")
      }) : null,
      who ? h("span", {className: "iac-who", text: who}) : null
    ]);
    var data = row.action ? {change: row.change, type: row.type, action: row.action} : {change: row.change, type: row.type};
    if (row.apply_status) {
      data.applyStatus = row.apply_status;
    }
    var node = h("div", {className: "iac-row", dataset: data}, [head, details]);
    head.addEventListener("click", function () {
      var open = head.getAttribute("aria-expanded") === "true";
      head.setAttribute("aria-expanded", open ? "false" : "true");
      details.hidden = open;
      if (!open && !details.firstChild) {
        view.loadDetails(row, details);
      }
    });
    return node;
  };

  DiffView.prototype.loadDetails = function (row, node) {
    var view = this;
    node.appendChild(h("p", {className: "iac-loading", text: "Loading\u2026"}));
    var request = this.details[row.address];
    if (!request) {
      var call = this.options.change(row, this.index);
      request = this.details[row.address] = api(call[0], call[1]);
    }
    request.then(function (change) {
      view.renderDetails(row, change, clear(node));
    }, function (error) {
      delete view.details[row.address];
      appendAll(clear(node), h("p", {className: "iac-error-inline", text: error.message}));
    });
  };

  DiffView.prototype.renderDetails = function (row, change, node) {
    var who = attribution(change);
    if (change.notes) {  // a plan's operation: its notes (changed outside the config by X at T, replace, refused)
      appendAll(node, (change.notes.length ? change.notes : ["No change made outside the config."]).map(function (note) {
        return h("p", {className: "iac-attribution iac-plan-note", text: note.charAt(0).toUpperCase() + note.slice(1)});
      }));
    } else {
      node.appendChild(h("p", {className: "iac-attribution", text: who ? who.charAt(0).toUpperCase() + who.slice(1) :
        "DSS recorded no author for the latest version."}));
    }
    if (change.change === "added") {
      appendAll(node, [h("p", {text: this.options.addedText}), h("pre", {className: "iac-value", text: formatValue(change.after)})]);
    } else if (change.change === "removed") {
      appendAll(node, [h("p", {text: this.options.removedText}), h("pre", {className: "iac-value", text: formatValue(change.before)})]);
    } else {
      node.appendChild(renderAttributeChanges(change.attribute_changes || []));
    }
    if (change.notes && change.change === "modified" && !(change.attribute_changes || []).length && change.after) {
      node.appendChild(h("pre", {className: "iac-value", text: formatValue(change.after)}));
    }
    var attributes = this.options.attributes(row, this.index);
    if (attributes) {
      var holder = h("div", {className: "iac-attributes"});
      var button = h("button", {type: "button", className: "iac-link iac-show-attributes", text: attributes.label});
      button.addEventListener("click", function () {
        button.disabled = true;
        api("/api/resource", attributes.params).then(function (resource) {
          appendAll(clear(holder), h("pre", {className: "iac-value", text: formatValue(resource.attributes)}));
        }, function (error) {
          button.disabled = false;
          appendAll(clear(holder), h("p", {className: "iac-error-inline", text: error.message}));
        });
      });
      appendAll(node, [button, holder]);
    }
  };

  function renderAttributeChanges(changes) {
    var rows = [];
    changes.forEach(function (change) {
      var path = change.path || "(whole value)";
      var badge = h("span", {className: "iac-badge iac-" + change.action, text: SYMBOLS[change.action] || "?"});
      if (change.text_diff) {
        rows.push(h("tr", {className: "iac-attr-row"}, [
          h("td", null, badge), h("td", {className: "iac-path", text: path}),
          h("td", {colspan: 2}, renderTextDiff(change.text_diff))
        ]));
        return;
      }
      rows.push(h("tr", {className: "iac-attr-row"}, [
        h("td", null, badge),
        h("td", {className: "iac-path", text: path}),
        h("td", {className: "iac-old"}, change.action === "added" ? null :
          h("pre", {className: "iac-value", text: formatValue(change.before)})),
        h("td", {className: "iac-new"}, change.action === "removed" ? null :
          h("pre", {className: "iac-value", text: formatValue(change.after)}))
      ]));
    });
    return h("table", {className: "iac-table iac-attr-table"}, [
      h("thead", null, h("tr", null, [h("th", {text: ""}), h("th", {text: "Path"}), h("th", {text: "Before"}),
        h("th", {text: "After"})])),
      h("tbody", null, rows)
    ]);
  }

  function renderTextDiff(text) {
    var lines = String(text).split("\n");
    return h("pre", {className: "iac-code-diff"}, lines.map(function (line) {
      var kind = "iac-diff-context";
      if (/^(\+\+\+|---) /.test(line)) {
        kind = "iac-diff-file";
      } else if (line.charAt(0) === "+") {
        kind = "iac-diff-add";
      } else if (line.charAt(0) === "-") {
        kind = "iac-diff-del";
      } else if (line.indexOf("@@") === 0) {
        kind = "iac-diff-hunk";
      }
      return h("span", {className: "iac-diff-line " + kind, text: line + "\n"});
    }));
  }

  // -- the page ------------------------------------------------------------------------------------------

  var page = {
    env: null, environments: [], liveChecks: false, viewer: null, state: null, history: [], reports: [],
    busy: false, messageTimer: null, plans: [], plansLoaded: false, apply: false, applyUnavailable: ""
  };
  var driftView = null;
  var compareView = null;
  var planView = null;

  function showMessage(text, kind) {
    var node = byId("iac-message");
    clearTimeout(page.messageTimer);
    appendAll(clear(node), [
      h("span", {className: "iac-message-text", text: text}),
      h("button", {type: "button", className: "iac-link iac-message-close", text: "Dismiss",
        onClick: function () { node.hidden = true; }})
    ]);
    node.className = "iac-message iac-message-" + (kind || "error");
    node.hidden = false;
    if (kind === "info") {
      page.messageTimer = setTimeout(function () { node.hidden = true; }, 8000);
    }
  }

  function updateHeader() {
    var state = page.state;
    var index = driftView.index;
    setText("iac-serial", state ? state.serial : null);
    setText("iac-baseline-at", state ? formatTime(state.updated_at) : null);
    setText("iac-resource-count", state ? state.resource_count : null);
    setText("iac-checked-at", index && index.context ? formatTime(index.context.checked_at) : null);
    var viewer = page.viewer;
    setText("iac-viewer", viewer ? (viewer.display_name || viewer.login || "unknown") +
      (viewer.may_write ? "" : " (read only)") : null);
    updateButtons();
  }

  function updateButtons() {
    var check = byId("iac-check");
    var accept = byId("iac-accept");
    var index = driftView.index;
    var mayWrite = !!(page.viewer && page.viewer.may_write);
    var noWrite = "You need write access to the project" + (page.viewer && page.viewer.reason ?
      " (" + page.viewer.reason + ")" : "");
    // A check stores a report, so it needs a DSS connection and a viewer who may write (readers could
    // otherwise push the stored reports out).
    var checkWhyNot = !page.liveChecks ? "Live checks are off: this viewer has no DSS connection" :
      !page.state ? "No baseline state yet: run a sync first" : !mayWrite ? noWrite : "";
    check.disabled = page.busy || !!checkWhyNot;
    check.title = checkWhyNot || "Sync the live objects now and compare";
    var note = byId("iac-check-note");
    note.textContent = !page.liveChecks ? checkWhyNot + "." : "";
    note.hidden = !!page.liveChecks;
    var drift = !!(index && index.rows && index.rows.length);
    // What is accepted is the report on screen, so it must be a stored drift report of the current baseline.
    var current = !!(index && index.source && index.source.kind === "report" && page.state &&
      index.context && index.context.baseline_serial === page.state.serial);
    accept.disabled = page.busy || !page.state || !mayWrite || !drift || !current;
    accept.title = !mayWrite ? noWrite : !drift ? "No drift to accept" :
      !current ? "This report was made against another baseline: check again first" :
      "Record the objects of this report as the new baseline";
    updatePlanActions();
  }

  function loadEnvironments() {
    return api("/api/environments").then(function (data) {
      page.environments = data.environments || [];
      page.liveChecks = !!data.live_checks;
      page.apply = !!data.apply;
      page.applyUnavailable = data.apply_unavailable || "";
      if (data.title) {
        byId("iac-title").textContent = data.title;
      }
      if (!page.env || page.environments.indexOf(page.env) < 0) {
        page.env = data["default"] || page.environments[0];
      }
      var select = byId("iac-env");
      appendAll(clear(select), page.environments.map(function (env) { return h("option", {value: env, text: env}); }));
      select.value = page.env;
      select.disabled = page.environments.length < 2;
      if (!byId("iac-tab-plans").hidden && !page.plansLoaded) {  // the Plans tab was opened before this answer
        page.plansLoaded = true;
        loadPlans();
      }
    });
  }

  function loadViewer() {
    return api("/api/viewer").then(function (viewer) { page.viewer = viewer; }, function () { page.viewer = null; });
  }

  function loadState() {
    return api("/api/state", {env: page.env}).then(function (state) {
      page.state = state;
      return true;
    }, function (error) {
      // No state for this environment (or it cannot be read): nothing of another environment stays on screen.
      page.state = null;
      page.history = [];
      page.reports = [];
      ["iac-report", "iac-from", "iac-to", "iac-history-rows"].forEach(function (id) { clear(byId(id)); });
      driftView.showMessage(error.message);
      compareView.showMessage(error.message);
      return false;
    });
  }

  function loadHistory() {
    return api("/api/history", {env: page.env}).then(function (data) {
      page.history = data.history || [];
      var serials = page.history.map(function (entry) { return entry.serial; }).reverse();
      ["iac-from", "iac-to"].forEach(function (id) {
        appendAll(clear(byId(id)), serials.map(function (serial) {
          return h("option", {value: serial, text: String(serial)});
        }));
      });
      if (serials.length) {
        byId("iac-to").value = String(serials[0]);
        byId("iac-from").value = String(serials[Math.min(1, serials.length - 1)]);
      }
      appendAll(clear(byId("iac-history-rows")), page.history.slice().reverse().map(function (entry) {
        return h("tr", {dataset: {serial: entry.serial}}, [
          h("td", {className: "iac-num", text: entry.serial}),
          h("td", {text: formatTime(entry.saved_at)}),
          h("td", {className: "iac-num", text: formatSize(entry.size)})
        ]);
      }));
      byId("iac-compare").disabled = !serials.length;
    });
  }

  function loadReports(selected) {
    return api("/api/reports", {env: page.env}).then(function (data) {
      page.reports = (data.reports || []).slice().reverse();
      var select = byId("iac-report");
      appendAll(clear(select), page.reports.map(function (name, position) {
        var when = formatTime(reportTime(name));
        return h("option", {value: name, text: position === 0 ? "Latest: " + when : when});
      }));
      select.disabled = !page.reports.length;
      if (selected && page.reports.indexOf(selected) >= 0) {
        select.value = selected;
      }
      return select.value || null;
    });
  }

  function loadReport(name) {
    if (!name) {
      driftView.showMessage(page.liveChecks ? "No drift report yet: press \u201cCheck now\u201d to compare the live " +
        "objects with the baseline." : "No drift report yet: run the detect-drift macro or the check-drift step.");
      updateHeader();
      return Promise.resolve();
    }
    return api("/api/report", {env: page.env, name: name}).then(function (index) {
      driftView.show(index);
      updateHeader();
    }, function (error) {
      driftView.showMessage(error.message);
      updateHeader();
    });
  }

  function loadAll(reportName) {
    return Promise.all([loadViewer(), loadState()]).then(function (results) {
      if (!results[1]) {
        updateHeader();
        return null;
      }
      return Promise.all([loadHistory(), loadReports(reportName)]).then(function (loaded) {
        compareView.showMessage("Pick two serials and press Compare.");
        return loadReport(loaded[1]);
      });
    }).catch(function (error) {
      showMessage(error.message);
    });
  }

  function compare() {
    var from = byId("iac-from").value;
    var to = byId("iac-to").value;
    compareView.showMessage("Comparing serial " + from + " with serial " + to + "\u2026");
    return api("/api/compare", {env: page.env, from: from, to: to}).then(function (index) {
      compareView.show(index);
    }, function (error) {
      compareView.showMessage(error.message);
    });
  }

  function showProgress(label, job) {
    var bar = byId("iac-progress-bar");
    byId("iac-progress").hidden = false;
    if (job && job.total > 0) {
      bar.max = job.total;
      bar.value = job.done;
      byId("iac-progress-text").textContent = label + ": " + job.done + " / " + job.total + " " +
        (job.kind === "apply" ? "operations completed" : "objects read");
    } else {
      bar.removeAttribute("value");
      byId("iac-progress-text").textContent = label + "\u2026";
    }
  }

  function runJob(path, body, label) {
    page.busy = true;
    updateButtons();
    showProgress(label, null);
    function poll(job) {
      showProgress(label, job);
      if (job.status === "running") {
        return api("/api/jobs/" + encodeURIComponent(job.id), {wait: 1}).then(poll);
      }
      if (job.status === "failed") {
        var failure = new Error(job.error && job.error.message ? job.error.message : label + " failed");
        failure.status = job.error ? job.error.status : null;
        failure.reasons = job.error && Array.isArray(job.error.reasons) ? job.error.reasons : [];
        throw failure;
      }
      return job.result || {};
    }
    return api(path, {env: page.env}, body).then(poll).then(function (result) {
      page.busy = false;
      byId("iac-progress").hidden = true;
      return result;
    }, function (error) {
      page.busy = false;
      byId("iac-progress").hidden = true;
      updateButtons();
      throw error;
    });
  }

  function checkNow() {
    runJob("/api/check", {}, "Checking for drift").then(function (result) {
      showMessage(result.has_drift ? "Drift found: the report below is up to date." :
        "No drift: the live objects match the baseline.", "info");
      return loadAll(result.report);
    }).catch(function (error) { showMessage(error.message); });
  }

  function askAccept() {
    var index = driftView.index;
    var count = index ? index.rows.length : 0;
    byId("iac-confirm-text").textContent = "Accept the live objects of environment \u201c" + page.env +
      "\u201d as the new baseline? The " + plural(count, "change") + " in this report stop being drift. Exactly " +
      "this report is stored: changes made in DSS since it was made stay drift for the next check.";
    byId("iac-confirm").hidden = false;
    byId("iac-confirm-yes").focus();
  }

  function accept() {
    byId("iac-confirm").hidden = true;
    var index = driftView.index;
    var body = {expected_serial: page.state ? page.state.serial : null,
                report: index && index.source ? index.source.name : null};
    runJob("/api/accept", body, "Accepting the live state").then(function (result) {
      showMessage("The baseline of \u201c" + page.env + "\u201d is now serial " + result.serial + " (" +
        plural(result.accepted_changes || 0, "change") + " accepted).", "info");
      return loadAll(result.report);
    }).catch(function (error) { showMessage(error.message); });
  }

  // -- the Plans tab: plans stored by the plan macro, newest first ---------------------------------------

  function planLabel(entry, position) {
    var when = formatTime(entry.created_at || reportTime(entry.id));
    return (position === 0 ? "Latest: " : "") + when + (entry.made_by ? " by " + entry.made_by : "");
  }

  function loadPlans(selected, keepResult) {
    if (!keepResult) {
      showApplyResult(null);
    }
    return api("/api/plans", {env: page.env}).then(function (data) {
      page.plans = data.plans || [];
      var select = byId("iac-plan");
      appendAll(clear(select), page.plans.map(function (entry, position) {
        return h("option", {value: entry.id, text: planLabel(entry, position)});
      }));
      select.disabled = !page.plans.length;
      if (selected) {
        select.value = selected;
      }
      return loadPlan(select.value || null);
    }, function (error) {
      page.plans = [];
      clear(byId("iac-plan"));
      planView.showMessage(error.message);
      showPlanFacts(null);
    });
  }

  function loadPlan(id) {
    if (!id) {
      planView.showMessage("No stored plan yet: run the macro \u201cDataiku IaC: plan from config\u201d in DSS.");
      showPlanFacts(null);
      return Promise.resolve();
    }
    return api("/api/plan", {env: page.env, id: id}).then(function (index) {
      planView.show(index);
      showPlanFacts(index);
    }, function (error) {
      planView.showMessage(error.message);
      showPlanFacts(null);
    });
  }

  function showPlanFacts(index) {
    var context = index ? index.context || {} : {};
    setText("iac-plan-made-by", index ? context.made_by || "unknown" : null);
    setText("iac-plan-made-at", index ? formatTime(context.created_at) : null);
    setText("iac-plan-state", index ? (context.state_serial === null || context.state_serial === undefined ?
      "none (first plan)" : "serial " + context.state_serial) : null);
    setText("iac-plan-config", index ? context.config_dir : null);
    setText("iac-plan-summary", index ? planSummaryLine(index.summary || {}) : "");
    var applied = index ? index.applied : null;
    var record = byId("iac-plan-applied");
    record.textContent = applied ? "Applied by " + (applied.applied_by || "unknown") + " at " +
      formatTime(applied.applied_at) + ": " + (applied.summary || "") : "";
    record.className = "iac-plan-applied" + (applied && !applied.ok ? " iac-apply-failed" : "");
    record.hidden = !applied;
    byId("iac-apply-confirm").hidden = true;
    updatePlanActions();
  }

  // -- Apply: a stored plan, exactly as shown, for viewers who may write ----------------------------------

  function updatePlanActions() {
    var index = planView ? planView.index : null;
    var operations = index && index.rows ? index.rows.length : 0;
    // Nothing to apply, nothing to offer: a plan with no operations has no Apply button at all.
    byId("iac-plan-actions").hidden = !operations;
    if (!operations) {
      return;
    }
    var viewer = page.viewer;
    var refused = index.summary && index.summary.refused;
    var whyNot = !page.apply ? "Apply is not available here: " + (page.applyUnavailable || "no DSS connection") :
      !(viewer && viewer.may_write) ? "You need write access to the projects of this plan" +
        (viewer && viewer.reason ? " (" + viewer.reason + ")" : "") :
      refused ? "The plan has refused operations (protect: true): make a new plan" : "";
    var button = byId("iac-apply");
    button.disabled = page.busy || !!whyNot;
    button.title = whyNot || "Apply exactly this plan to DSS, after a confirmation";
    var note = byId("iac-apply-note");
    note.textContent = whyNot ? whyNot + "." : "";
    note.hidden = !whyNot;
  }

  function askApply() {
    var index = planView.index;
    if (!index) {
      return;
    }
    byId("iac-apply-confirm-text").textContent = "Apply plan " + index.source.id + " to environment \u201c" +
      page.env + "\u201d" + (index.context && index.context.dss_url ? " (" + index.context.dss_url + ")" : "") +
      "? Exactly these " + plural(index.rows.length, "operation") + " run, in this order; the plan is refused, " +
      "with nothing written, if DSS, the state or the config changed since it was made.";
    byId("iac-apply-confirm-summary").textContent = planSummaryLine(index.summary || {});
    byId("iac-apply-confirm").hidden = false;
    byId("iac-apply-yes").focus();
  }

  function applyPlan() {
    byId("iac-apply-confirm").hidden = true;
    var index = planView.index;
    var id = index.source.id;
    var body = {id: id, expected_serial: page.state ? page.state.serial : 0};
    showApplyResult(null);
    runJob("/api/plan/apply", body, "Applying plan").then(function (result) {
      showApplyResult(result);
      return Promise.all([loadPlans(id, true), loadAll()]);
    }).catch(function (error) {
      showApplyResult(null, error);
      updateButtons();
    });
  }

  function showApplyResult(result, error) {
    var node = clear(byId("iac-apply-result"));
    node.hidden = !result && !error;
    if (error) {
      node.className = "iac-apply-result iac-apply-failed";
      appendAll(node, [
        h("p", {className: "iac-apply-headline", text: (error.status >= 400 && error.status < 500 ? "Refused: " :
          "Apply failed: ") + error.message}),
        error.reasons && error.reasons.length ? h("ul", {className: "iac-apply-reasons"}, error.reasons.map(function (reason) {
          return h("li", {text: reason});
        })) : null
      ]);
      return;
    }
    if (!result) {
      return;
    }
    var operations = result.operations || [];
    var failed = operations.filter(function (outcome) { return outcome.status === "failed"; });
    node.className = "iac-apply-result " + (result.ok ? "iac-apply-ok" : "iac-apply-failed");
    appendAll(node, [
      h("p", {className: "iac-apply-headline", text: result.ok ? "Applied: " + (result.summary || "") :
        "Apply failed: " + ["applied", "failed", "not attempted"].map(function (status) {
          return ((result.counts || {})[status] || 0) + " " + status;
        }).join(", ") + "."}),
      failed.length ? h("ul", {className: "iac-apply-reasons"}, failed.map(function (outcome) {
        return h("li", {text: outcome.resource_id + ": " + (outcome.error || "failed")});
      })) : null,
      result.note ? h("p", {text: result.note}) : null
    ]);
  }

  function planSummaryLine(summary) {
    var parts = summary.adopt ? [summary.adopt + " to import"] : [];
    parts = parts.concat([summary.create + " to add", summary.update + " to change", summary.replace +
      " to replace", summary["delete"] + " to destroy"].map(function (text) { return text.replace("undefined", "0"); }));
    return "Plan: " + parts.join(", ") + "." + (summary.refused ? " Refused: " + summary.refused + " (protect: true)." : "");
  }

  function selectTab(name) {
    if (name === "plans" && !page.plansLoaded && page.env) {
      page.plansLoaded = true;
      loadPlans();
    }
    ["drift", "history", "plans"].forEach(function (tab) {
      var active = tab === name;
      byId("iac-tab-" + tab).hidden = !active;
      var button = byId("iac-tab-" + tab + "-button");
      button.setAttribute("aria-selected", active ? "true" : "false");
      button.className = "iac-tab" + (active ? " iac-tab-active" : "");
    });
  }

  function start() {
    if (!byId("iac-drift")) {
      return;
    }
    driftView = new DiffView(byId("iac-drift-view"), {
      changedText: "Drift: the live objects differ from the baseline",
      cleanText: "No drift: the live objects match the baseline.",
      addedText: "Added in DSS since the baseline; its live attributes:",
      removedText: "Deleted from DSS since the baseline; its recorded attributes:",
      change: function (row, index) {
        return ["/api/report/change", {env: page.env, name: index.source.name, address: row.address}];
      },
      attributes: function (row, index) {
        var serial = index.context && index.context.baseline_serial;
        if (row.change === "added" || serial === undefined || serial === null) {
          return null;
        }
        return {label: "Show all recorded attributes (serial " + serial + ")",
          params: {env: page.env, address: row.address, serial: serial}};
      }
    });
    compareView = new DiffView(byId("iac-compare-view"), {
      changedText: "Changes between the two serials",
      cleanText: "The two serials hold the same objects.",
      addedText: "Added between the two serials; its attributes:",
      removedText: "Removed between the two serials; its last attributes:",
      change: function (row, index) {
        return ["/api/compare/change", {env: page.env, from: index.source.from, to: index.source.to,
          address: row.address}];
      },
      attributes: function (row, index) {
        var serial = row.change === "removed" ? index.source.from : index.source.to;
        return {label: "Show all attributes at serial " + serial,
          params: {env: page.env, address: row.address, serial: serial}};
      }
    });
    byId("iac-env").addEventListener("change", function (event) {
      page.env = event.target.value;
      page.plansLoaded = false;
      if (!byId("iac-tab-plans").hidden) {
        page.plansLoaded = true;
        loadPlans();
      }
      loadAll();
    });
    byId("iac-report").addEventListener("change", function (event) { loadReport(event.target.value); });
    byId("iac-check").addEventListener("click", checkNow);
    byId("iac-accept").addEventListener("click", askAccept);
    byId("iac-confirm-yes").addEventListener("click", accept);
    byId("iac-confirm-no").addEventListener("click", function () { byId("iac-confirm").hidden = true; });
    byId("iac-compare").addEventListener("click", compare);
    planView = new DiffView(byId("iac-plan-view"), {
      changedText: "DSS differs from the config: apply would run these operations, in this order",
      cleanText: "No changes: DSS matches the config.",
      addedText: "Created by apply, with these attributes from the config:",
      removedText: "Deleted by apply: the config no longer names it.",
      summaryKinds: ["adopt", "create", "update", "replace", "delete"],
      filterChoices: PLAN_ACTIONS,
      filterKey: "action",
      allText: "All actions",
      change: function (row, index) {
        return ["/api/plan/operation", {env: page.env, id: index.source.id, address: row.address}];
      },
      attributes: function () { return null; }
    });
    byId("iac-plan").addEventListener("change", function (event) {
      showApplyResult(null);
      loadPlan(event.target.value);
    });
    byId("iac-apply").addEventListener("click", askApply);
    byId("iac-apply-yes").addEventListener("click", applyPlan);
    byId("iac-apply-no").addEventListener("click", function () { byId("iac-apply-confirm").hidden = true; });
    ["drift", "history", "plans"].forEach(function (tab) {
      byId("iac-tab-" + tab + "-button").addEventListener("click", function () { selectTab(tab); });
    });
    updateButtons();
    loadEnvironments().then(function () { return loadAll(); }).catch(function (error) {
      driftView.showMessage(error.message);
      showMessage(error.message);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
