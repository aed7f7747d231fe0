package org.vnvdimm.sim.run;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import org.vnvdimm.contract.Roles;
import java.util.TreeMap;
import org.vnvdimm.proto.DomainConfig;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.GuestWorkload;
import org.vnvdimm.proto.Step;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.proto.StepResult;
import org.vnvdimm.sim.platform.MediaStore;
import org.vnvdimm.sim.platform.Platform;
import org.vnvdimm.sim.platform.PlatformModel;
import org.vnvdimm.sim.wire.Wire;
import org.vnvdimm.xen.Xen;

/** Which component plays which role, configured by the scenario's design. */
final class Components implements Wire.ComponentFactory {
    private final Scenario scenario;
    private final PlatformModel model;
    private final MediaStore ram;
    private final MediaStore media;
    private final long seed;
    private final TreeMap<Integer, DomainConfig> domains;

    Components(Scenario scenario, long seed, PlatformModel model, MediaStore ram, MediaStore media) {
        this.scenario = scenario;
        this.seed = seed;
        this.domains = domainsById(scenario);
        this.model = model;
        this.ram = ram;
        this.media = media;
    }

    @Override
    public Behavior<Envelope> create(String role, ActorRef<StepResult> wire) {
        return switch (role) {
            case Roles.PLATFORM -> Platform.create(wire, model, ram, media);
            case Roles.XEN -> Xen.create(wire, Xen.Config.of(scenario.getDesign()));
            case Roles.XENSTORED -> org.vnvdimm.dom0.Xenstored.create(wire);
            case Roles.XL -> org.vnvdimm.dom0.Toolstack.create(wire);
            case Roles.DOM0 -> org.vnvdimm.dom0.Dom0Kernel.create(wire, new org.vnvdimm.dom0.Dom0Kernel.Config(seed));
            default -> {
                if (Roles.isQemu(role)) yield org.vnvdimm.qemu.Qemu.create(wire, Roles.servedDomain(role), scenario.getDesign());
                if (Roles.isGuest(role)) {
                    DomainConfig d = domains.get(Roles.servedDomain(role));
                    yield org.vnvdimm.guest.Guest.create(wire, Roles.servedDomain(role),
                            new org.vnvdimm.guest.Guest.Config(d == null ? GuestWorkload.getDefaultInstance() : d.getWorkload()));
                }
                yield null;
            }
        };
    }

    /**
     * The domid each xl create will get: explicit ones as given, the others as Xen's allocator hands
     * them out (next free from 1, in step order).
     */
    static TreeMap<Integer, DomainConfig> domainsById(Scenario s) {
        TreeMap<Integer, DomainConfig> out = new TreeMap<>();
        int next = 1;
        for (Step st : ScenarioDriver.expand(s)) {
            if (!st.hasXlCreate()) continue;
            DomainConfig d = st.getXlCreate().getDomain();
            int id = d.getDomid();
            if (id == 0) {
                while (out.containsKey(next)) next++;
                id = next++;
            }
            out.putIfAbsent(id, d);
        }
        return out;
    }
}
