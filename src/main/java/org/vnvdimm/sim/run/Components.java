package org.vnvdimm.sim.run;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.proto.StepResult;
import org.vnvdimm.sim.platform.MediaStore;
import org.vnvdimm.sim.platform.Platform;
import org.vnvdimm.sim.platform.PlatformModel;
import org.vnvdimm.sim.wire.Wire;
import org.vnvdimm.xen.Xen;

/**
 * Which component plays which role, configured by the scenario's design. Components get only what
 * their real counterpart is built or booted with (the design, the hardware); everything a scenario
 * decides at run time reaches them through the wire. Tests substitute broken variants through
 * {@link Wire.ComponentFactory}.
 */
final class Components implements Wire.ComponentFactory {
    private final Scenario scenario;
    private final PlatformModel model;
    private final MediaStore ram;
    private final MediaStore media;
    private final long seed;
    /** The filesystems' metadata on the DIMMs: it outlives a Dom0 (a power cycle), as the media does. */
    private final org.vnvdimm.dom0.fs.OnMedia onMedia = new org.vnvdimm.dom0.fs.OnMedia();

    Components(Scenario scenario, long seed, PlatformModel model, MediaStore ram, MediaStore media) {
        this.scenario = scenario;
        this.seed = seed;
        this.model = model;
        this.ram = ram;
        this.media = media;
    }

    @Override
    public Behavior<Envelope> create(String role, ActorRef<StepResult> wire) {
        return switch (role) {
            case Roles.PLATFORM -> Platform.create(wire, model, ram, media, seed);
            case Roles.XEN -> Xen.create(wire, Xen.Config.of(scenario.getDesign()));
            case Roles.XENSTORED -> org.vnvdimm.dom0.Xenstored.create(wire);
            case Roles.XL -> org.vnvdimm.dom0.Toolstack.create(wire, "on".equals(scenario.getDesign().getQemuPrealloc()),
                    "refuse".equals(scenario.getDesign().getDma()));
            case Roles.DOM0 -> org.vnvdimm.dom0.Dom0Kernel.create(wire, new org.vnvdimm.dom0.Dom0Kernel.Config(seed,
                    scenario.getDesign().getHotplugReport().isEmpty() ? "before-map" : scenario.getDesign().getHotplugReport(),
                    scenario.getDesign().getInvalidation().isEmpty() ? "none" : scenario.getDesign().getInvalidation(),
                    scenario.getDesign().getHostKernel().isEmpty() ? "4.15" : scenario.getDesign().getHostKernel(), onMedia));
            default -> {
                if (Roles.isQemu(role)) yield org.vnvdimm.qemu.Qemu.create(wire, Roles.servedDomain(role), scenario.getDesign());
                // The guest learns its workload from xenstore, as xl wrote it from the domain config.
                if (Roles.isGuest(role)) yield org.vnvdimm.guest.Guest.create(wire, Roles.servedDomain(role), scenario.getDesign());
                yield null;
            }
        };
    }
}
