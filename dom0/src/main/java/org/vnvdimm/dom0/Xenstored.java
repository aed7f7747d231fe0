package org.vnvdimm.dom0;

import static org.vnvdimm.contract.XenAbi.*;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.vnvdimm.contract.ComponentBehavior;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.StepResult;
import org.vnvdimm.proto.XsRequest;
import org.vnvdimm.proto.XsResponse;
import org.vnvdimm.proto.XsWatchEvent;

/**
 * xenstored in Dom0: the store (a tree of paths), watches, and the permission rule that matters
 * here: a guest may touch only its own /local/domain/<domid> subtree; Dom0 may touch everything.
 */
public final class Xenstored extends ComponentBehavior {
    static final int XENSTORE_ABS_PATH_MAX = 3072;
    static final int XENSTORE_PAYLOAD_MAX = 4096;
    static final int MAX_NODES = 1 << 20;
    static final int MAX_WATCHES = 1 << 16;

    private final TreeMap<String, String> nodes = new TreeMap<>();
    /** Watches by the path they watch, each list in registration order. */
    private final TreeMap<String, List<Watch>> watches = new TreeMap<>();
    private int watchCount;

    record Watch(String role, String path, String token) {}

    public static Behavior<Envelope> create(ActorRef<StepResult> wire) {
        return Behaviors.setup(ctx -> new Xenstored(ctx, wire));
    }

    private Xenstored(ActorContext<Envelope> ctx, ActorRef<StepResult> wire) {
        super(ctx, Roles.XENSTORED, wire);
        nodes.put("/", "");
        nodes.put("/local", "");
        nodes.put("/local/domain", "");
        nodes.put("/local/domain/0", "");
    }

    @Override
    protected void handle(Envelope e) {
        if (!e.hasXsRequest()) throw new ProtocolError("xenstored speaks the xenstore protocol only");
        XsRequest r = e.getXsRequest();
        String err = validate(e.getFrom(), r);
        if (err != null) {
            error(r.getType(), err);
            return;
        }
        String p = r.getPath();
        switch (r.getType()) {
            case XS_READ -> {
                String v = nodes.get(p);
                if (v == null) error(r.getType(), "ENOENT"); else ok(XsResponse.newBuilder().setType(XS_READ).setValue(v));
            }
            case XS_WRITE -> {
                if (r.getValue().length() > XENSTORE_PAYLOAD_MAX) { error(r.getType(), "E2BIG"); return; }
                if (!nodes.containsKey(p) && nodes.size() >= MAX_NODES) { error(r.getType(), "ENOSPC"); return; }
                createParents(p);
                nodes.put(p, r.getValue());
                ok(XsResponse.newBuilder().setType(XS_WRITE));
                fire(p);
            }
            case XS_MKDIR -> {
                if (!nodes.containsKey(p)) {
                    createParents(p);
                    nodes.put(p, "");
                    fire(p);
                }
                ok(XsResponse.newBuilder().setType(XS_MKDIR));
            }
            case XS_RM -> {
                if (!nodes.containsKey(p)) { error(r.getType(), "ENOENT"); return; }
                nodes.subMap(p, true, p + "/\uffff", true).clear();
                ok(XsResponse.newBuilder().setType(XS_RM));
                fire(p);
            }
            case XS_DIRECTORY -> {
                if (!nodes.containsKey(p)) { error(r.getType(), "ENOENT"); return; }
                XsResponse.Builder b = XsResponse.newBuilder().setType(XS_DIRECTORY);
                String prefix = p.equals("/") ? "/" : p + "/";
                for (String k : nodes.subMap(prefix, false, prefix + "\uffff", false).keySet()) {
                    String rest = k.substring(prefix.length());
                    if (!rest.isEmpty() && rest.indexOf('/') < 0) b.addEntries(rest);
                }
                ok(b);
            }
            case XS_WATCH -> {
                if (watchCount >= MAX_WATCHES) { error(r.getType(), "E2BIG"); return; }
                watches.computeIfAbsent(p, k -> new ArrayList<>()).add(new Watch(e.getFrom(), p, r.getToken()));
                watchCount++;
                ok(XsResponse.newBuilder().setType(XS_WATCH));
                // xenstored fires every new watch once, so the watcher reads the current state.
                send(e.getFrom(), Envelope.newBuilder().setXsWatchEvent(XsWatchEvent.newBuilder().setPath(p).setToken(r.getToken())));
            }
            case XS_UNWATCH -> {
                List<Watch> at = watches.getOrDefault(p, new ArrayList<>());
                boolean removed = at.removeIf(w -> w.role().equals(e.getFrom()) && w.token().equals(r.getToken()));
                if (removed) watchCount--;
                if (at.isEmpty()) watches.remove(p);
                if (removed) ok(XsResponse.newBuilder().setType(XS_UNWATCH)); else error(r.getType(), "ENOENT");
            }
            default -> error(r.getType(), "EINVAL");
        }
    }

    private String validate(String from, XsRequest r) {
        String p = r.getPath();
        if (p.isEmpty() || !p.startsWith("/") || p.length() > XENSTORE_ABS_PATH_MAX || p.contains("//")
                || (p.length() > 1 && p.endsWith("/"))) return "EINVAL";
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (!(Character.isLetterOrDigit(c) || "/_-@.".indexOf(c) >= 0)) return "EINVAL";
        }
        int dom = Roles.domainOf(from);
        if (dom < 0) return "EACCES";
        if (dom != 0) {
            String home = "/local/domain/" + dom;
            if (!(p.equals(home) || p.startsWith(home + "/"))) return "EACCES";
        }
        return null;
    }

    private void createParents(String p) {
        int i = p.indexOf('/', 1);
        while (i > 0) {
            nodes.putIfAbsent(p.substring(0, i), "");
            i = p.indexOf('/', i + 1);
        }
    }

    /**
     * A watch fires for changes at or below its path, and for removal of a parent: so the watches on
     * the changed path and its ancestors (root first), then those below it (in path order).
     */
    private void fire(String changed) {
        List<String> ancestors = new ArrayList<>();
        for (int i = changed.indexOf('/', 1); i > 0; i = changed.indexOf('/', i + 1)) ancestors.add(changed.substring(0, i));
        ancestors.add(changed);
        if (!changed.equals("/")) ancestors.add(0, "/");
        for (String a : ancestors) notify(watches.get(a), changed);
        String below = changed.equals("/") ? "/" : changed + "/";
        for (List<Watch> ws : watches.subMap(below, false, below + "\uffff", false).values()) notify(ws, changed);
    }

    private void notify(List<Watch> ws, String changed) {
        if (ws == null) return;
        for (Watch w : ws) {
            send(w.role(), Envelope.newBuilder().setXsWatchEvent(XsWatchEvent.newBuilder().setPath(changed).setToken(w.token())));
        }
    }

    private void ok(XsResponse.Builder b) { reply(Envelope.newBuilder().setXsResponse(b)); }

    private void error(int type, String err) {
        reply(Envelope.newBuilder().setXsResponse(XsResponse.newBuilder().setType(XS_ERROR).setError(err)));
    }
}
