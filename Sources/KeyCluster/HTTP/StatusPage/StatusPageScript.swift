/// The status page's script: polls `/v1/cluster/status` (same origin, anonymous), then each other
/// member's own status at its client address (CORS, allowed for members' origins only), and redraws.
///
/// Links, leader, lag, leader history, rates and alarms are this member's view; each member's term,
/// commit and applied index are its own report (or "no answer"). It writes text with `textContent` only, never HTML,
/// so nothing a status answer holds (region names, failure details) can become markup. The DOM carries
/// stable `data-` attributes (`data-member-id`, `data-region`, `data-role`, `data-link`, `data-state`)
/// for tests and scripts; the classes are for the style sheet.
enum StatusPageScript {
    static let source = """
        "use strict";
        (function () {
          const refreshMs = \(StatusPage.statusRefreshMilliseconds);
          const peerTimeoutMs = \(StatusPage.peerStatusTimeoutMilliseconds);
          let previous = null;

          function el(tag, cls, text) {
            const node = document.createElement(tag);
            if (cls) node.className = cls;
            if (text !== undefined) node.textContent = String(text);
            return node;
          }
          function field(dl, name, value) {
            dl.appendChild(el("dt", "", name));
            dl.appendChild(el("dd", "", value === undefined || value === null ? "–" : value));
          }
          function ago(ms) {
            const s = Math.max(0, Math.round(ms / 1000));
            if (s < 120) return s + " s ago";
            if (s < 7200) return Math.round(s / 60) + " min ago";
            return Math.round(s / 3600) + " h ago";
          }
          function rate(name, now, prev) {
            if (!prev || now[name] === undefined || prev[name] === undefined) return "–";
            const seconds = (now.nowUnixMs - prev.nowUnixMs) / 1000;
            if (seconds <= 0 || now[name] < prev[name]) return "–";
            return ((now[name] - prev[name]) / seconds).toFixed(1) + " /s";
          }
          function roleOf(status, member) {
            if (status.leader === member.id) return "leader";
            if (member.id === status.id) return status.role;
            // A member this one cannot reach reports no role: do not make one up.
            if (member.link === "unreachable") return "unknown";
            return status.leader === undefined || status.leader === null ? "unknown" : "follower";
          }

          async function peerViews(status) {
            const views = new Map();
            const others = status.members.filter((member) => member.id !== status.id && member.clientAddress);
            await Promise.all(others.map(async (member) => {
              const controller = new AbortController();
              const timer = setTimeout(() => controller.abort(), peerTimeoutMs);
              try {
                const response = await fetch("https://" + member.clientAddress + "/v1/cluster/status",
                  { cache: "no-store", credentials: "omit", mode: "cors", signal: controller.signal });
                if (!response.ok) throw new Error("HTTP " + response.status);
                views.set(member.id, await response.json());
              } catch (error) {
                views.set(member.id, null);
              } finally {
                clearTimeout(timer);
              }
            }));
            return views;
          }

          function render(status, views) {
            const root = document.getElementById("status");
            root.replaceChildren();
            root.dataset.state = "live";
            root.dataset.leader = status.leader === undefined || status.leader === null ? "" : String(status.leader);

            const summary = el("section", "summary");
            summary.appendChild(el("h2", "", "Member " + status.id + " (" + status.region + ")"));
            const dl = el("dl", "");
            field(dl, "cluster", status.clusterID);
            field(dl, "role here", status.role);
            field(dl, "leader", status.leader === undefined || status.leader === null ? "none known" : "member " + status.leader);
            field(dl, "term", status.term);
            field(dl, "commit index", status.commitIndex);
            field(dl, "applied index", status.appliedIndex);
            field(dl, "last index", status.lastIndex);
            field(dl, "unlocks decided", rate("unlocksDecided", status, previous));
            field(dl, "writes applied", rate("writesApplied", status, previous));
            summary.appendChild(dl);
            root.appendChild(summary);

            const alarms = el("section", "alarms");
            alarms.appendChild(el("h2", "", "Alarms"));
            const list = status.alarms || [];
            if (list.length === 0) alarms.appendChild(el("p", "quiet", "none"));
            for (const alarm of list) {
              const item = el("p", "alarm", alarm.kind + " on member " + alarm.member + ": " + alarm.detail);
              item.dataset.alarm = alarm.kind;
              alarms.appendChild(item);
            }
            root.appendChild(alarms);

            const regions = el("section", "regions");
            regions.appendChild(el("h2", "", "Members by region"));
            const byRegion = new Map();
            for (const member of status.members) {
              if (!byRegion.has(member.region)) byRegion.set(member.region, []);
              byRegion.get(member.region).push(member);
            }
            for (const [region, members] of [...byRegion.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
              const group = el("div", "region");
              group.dataset.region = region;
              group.appendChild(el("h3", "", region));
              for (const member of members) {
                const role = roleOf(status, member);
                const link = member.link || "unknown";
                const card = el("div", "member role-" + role + " link-" + link);
                card.dataset.memberId = String(member.id);
                card.dataset.region = member.region;
                card.dataset.role = role;
                card.dataset.link = link;
                card.appendChild(el("h4", "", "member " + member.id + (role === "leader" ? " ★ leader" : "")));
                const facts = el("dl", "");
                field(facts, "role", role);
                field(facts, "link", link === "self" ? "this member" : link);
                field(facts, "address", member.clientAddress);
                const own = member.id === status.id ? status : views.get(member.id);
                if (own) {
                  card.dataset.term = String(own.term);
                  card.dataset.commit = String(own.commitIndex);
                  card.dataset.applied = String(own.appliedIndex);
                  field(facts, "term", own.term);
                  field(facts, "commit / applied", own.commitIndex + " / " + own.appliedIndex);
                } else {
                  field(facts, "its own status", "no answer");
                }
                if (member.id !== status.id && status.role === "leader") {
                  field(facts, "matched (leader's view)", member.matchIndex);
                  field(facts, "lag (entries)", member.lagEntries);
                }
                card.appendChild(facts);
                group.appendChild(card);
              }
              regions.appendChild(group);
            }
            root.appendChild(regions);

            const history = el("section", "history");
            history.appendChild(el("h2", "", "Recent leaders (seen by this member)"));
            const changes = (status.leaderChanges || []).slice().reverse();
            if (changes.length === 0) history.appendChild(el("p", "quiet", "none seen yet"));
            const ol = el("ol", "");
            for (const change of changes) {
              const item = el("li", "", "term " + change.term + ": member " + change.leader + ", " + ago(status.nowUnixMs - change.observedAtUnixMs));
              item.dataset.term = String(change.term);
              item.dataset.leader = String(change.leader);
              ol.appendChild(item);
            }
            history.appendChild(ol);
            root.appendChild(history);

            root.appendChild(el("p", "quiet", "Links, leader, lag, history, rates and alarms: member " + status.id + "'s view. " +
              "Term, commit and applied index: each member's own report. Updated " + new Date(status.nowUnixMs || Date.now()).toISOString()));
            previous = status;
          }

          function offline(reason) {
            const root = document.getElementById("status");
            root.dataset.state = "offline";
            const banner = document.getElementById("banner");
            banner.textContent = "This member did not answer its status (" + reason + "); the view below may be old.";
            banner.hidden = false;
          }

          async function refresh() {
            try {
              const response = await fetch("/v1/cluster/status", { cache: "no-store", credentials: "same-origin" });
              if (!response.ok) throw new Error("HTTP " + response.status);
              const status = await response.json();
              document.getElementById("banner").hidden = true;
              render(status, await peerViews(status));
            } catch (error) {
              offline(error.message || String(error));
            } finally {
              setTimeout(refresh, refreshMs);
            }
          }
          refresh();
        })();
        """
}
