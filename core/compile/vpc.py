"""The stack's VPC, created the first time a resource asks for a network.

Public and private subnets in two availability zones (three when NAT is
asked for three zones), an internet gateway for the public ones and, only
when some workload runs in private subnets (`usePrivateSubnetsWithNAT`), NAT
gateways for the private ones: NAT costs money by the hour, so a stack that
does not need it does not get it. CIDRs and ids are fixed, so turning NAT on
later adds resources without touching the subnets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from troposphere import GetAtt, GetAZs, Ref, Select, Tags, ec2

from core.compile.context import SHARED

VPC_CIDR = "10.0.0.0/16"


def _public_cidr(i: int) -> str:
    return f"10.0.{i * 32}.0/19"


def _private_cidr(i: int) -> str:
    return f"10.0.{128 + i * 32}.0/19"


@dataclass
class Network:
    vpc: object
    public_subnets: list = field(default_factory=list)
    private_subnets: list = field(default_factory=list)
    private_route_tables: list = field(default_factory=list)
    public_route_id: str = ""  # DependsOn target: the internet is reachable from public subnets
    nat_route_ids: list = field(default_factory=list)  # … from private subnets (empty until NAT exists)

    def subnets(self, private: bool) -> list:
        return self.private_subnets if private else self.public_subnets

    def ready_ids(self, private: bool) -> list[str]:
        """Logical ids a service must wait for before its tasks can reach the internet."""
        return list(self.nat_route_ids) if private else [self.public_route_id]


def _vpc_settings(ctx):
    cfg = ctx.config
    sc = cfg.stackConfig if cfg is not None else None
    return sc.vpc if sc is not None else None


def _zone_count(ctx) -> int:
    vpc = _vpc_settings(ctx)
    nat = vpc.nat if vpc is not None else None
    zones = ctx.static(nat.availabilityZones, "stackConfig.vpc.nat.availabilityZones", 2) if nat is not None else 2
    return 3 if zones == 3 else 2


def network(ctx) -> Network:
    """The stack's network (created on first call)."""
    if ctx.network is not None:
        return ctx.network
    settings = _vpc_settings(ctx)
    if settings is not None and settings.reuseVpc is not None:
        ctx.unsupported("stackConfig.vpc.reuseVpc", "deploying into an existing VPC is not compiled yet")
    add = lambda r: ctx.add(SHARED, r)  # noqa: E731
    tags = lambda name: Tags(Name=f"{ctx.stack_name}-{name}")  # noqa: E731
    vpc = add(ec2.VPC("Vpc", CidrBlock=VPC_CIDR, EnableDnsHostnames=True, EnableDnsSupport=True, Tags=tags("vpc")))
    net = Network(vpc=Ref(vpc))
    igw = add(ec2.InternetGateway("VpcInternetGateway", Tags=tags("igw")))
    attach = add(ec2.VPCGatewayAttachment("VpcGatewayAttachment", VpcId=Ref(vpc), InternetGatewayId=Ref(igw)))
    public_rt = add(ec2.RouteTable("VpcPublicRouteTable", VpcId=Ref(vpc), Tags=tags("public")))
    route = add(ec2.Route("VpcPublicDefaultRoute", RouteTableId=Ref(public_rt), DestinationCidrBlock="0.0.0.0/0",
                          GatewayId=Ref(igw), DependsOn=[attach.title]))
    net.public_route_id = route.title
    for i in range(_zone_count(ctx)):
        n = i + 1
        az = Select(i, GetAZs(""))
        pub = add(ec2.Subnet(f"VpcPublicSubnet{n}", VpcId=Ref(vpc), CidrBlock=_public_cidr(i), AvailabilityZone=az,
                             MapPublicIpOnLaunch=True, Tags=tags(f"public-{n}")))
        add(ec2.SubnetRouteTableAssociation(f"VpcPublicSubnet{n}RouteTableAssociation", SubnetId=Ref(pub),
                                            RouteTableId=Ref(public_rt)))
        priv = add(ec2.Subnet(f"VpcPrivateSubnet{n}", VpcId=Ref(vpc), CidrBlock=_private_cidr(i), AvailabilityZone=az,
                              MapPublicIpOnLaunch=False, Tags=tags(f"private-{n}")))
        rt = add(ec2.RouteTable(f"VpcPrivateRouteTable{n}", VpcId=Ref(vpc), Tags=tags(f"private-{n}")))
        add(ec2.SubnetRouteTableAssociation(f"VpcPrivateSubnet{n}RouteTableAssociation", SubnetId=Ref(priv),
                                            RouteTableId=Ref(rt)))
        net.public_subnets.append(Ref(pub))
        net.private_subnets.append(Ref(priv))
        net.private_route_tables.append(rt)
    ctx.output(SHARED, "vpcId", "VpcId", Ref(vpc), "Id of the stack's VPC")
    ctx.network = net
    return net


def require_nat(ctx) -> Network:
    """The network with NAT gateways routing the private subnets to the internet (added once)."""
    net = network(ctx)
    if net.nat_route_ids:
        return net
    settings = _vpc_settings(ctx)
    nat_cfg = settings.nat if settings is not None else None
    wanted = ctx.static(nat_cfg.availabilityZones, "stackConfig.vpc.nat.availabilityZones", 2) if nat_cfg else 2
    count = max(1, min(int(wanted or 2), len(net.public_subnets)))
    add = lambda r: ctx.add(SHARED, r)  # noqa: E731
    gateways = []
    for i in range(count):
        n = i + 1
        eip = add(ec2.EIP(f"VpcNatIp{n}", Domain="vpc", DependsOn=["VpcGatewayAttachment"]))
        gw = add(ec2.NatGateway(f"VpcNatGateway{n}", AllocationId=GetAtt(eip, "AllocationId"),
                                SubnetId=net.public_subnets[i],
                                Tags=Tags(Name=f"{ctx.stack_name}-nat-{n}")))
        gateways.append(gw)
    for i, rt in enumerate(net.private_route_tables):
        route = add(ec2.Route(f"VpcPrivateDefaultRoute{i + 1}", RouteTableId=Ref(rt), DestinationCidrBlock="0.0.0.0/0",
                              NatGatewayId=Ref(gateways[i % count])))
        net.nat_route_ids.append(route.title)
    return net
