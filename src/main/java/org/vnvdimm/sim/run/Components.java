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

/** Which component plays which role, configured by the scenario's design. */
final class Components implements Wire.ComponentFactory {
    private final Scenario scenario;
    private final PlatformModel model;
    private final MediaStore ram;
    private final MediaStore media;

    Components(Scenario scenario, PlatformModel model, MediaStore ram, MediaStore media) {
        this.scenario = scenario;
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
            default -> null;
        };
    }
}
