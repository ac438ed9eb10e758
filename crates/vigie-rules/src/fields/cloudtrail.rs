//! Names and types of the AWS CloudTrail source's fields, declared so CloudTrail rule
//! files load and compile; vigie has no CloudTrail reader yet.

use std::sync::OnceLock;

use crate::field::FieldTable;
use crate::fields::table_text::parse_table_text;

const CLOUDTRAIL_FIELDS: &str = "
ct.id string
ct.error string
ct.time string
ct.src string
ct.shortsrc string
ct.name string
ct.user string
ct.user.accountid string
ct.user.identitytype string
ct.user.principalid string
ct.user.arn string
ct.region string
ct.response.subnetid string
ct.response.reservationid string
ct.response string
ct.request.availabilityzone string
ct.request.cluster string
ct.request.functionname string
ct.request.groupname string
ct.request.host string
ct.request.name string
ct.request.policy string
ct.request.serialnumber string
ct.request.servicename string
ct.request.subnetid string
ct.request.taskdefinition string
ct.request.username string
ct.request string
ct.srcip string
ct.useragent string
ct.info string
ct.managementevent string
ct.readonly string
ct.requestid string
ct.eventtype string
ct.apiversion string
ct.resources string
ct.recipientaccountid string
ct.serviceevent string
ct.additionaleventdata string
s3.uri string
s3.bucket string
s3.key string
s3.bytes number
s3.bytes.in number
s3.bytes.out number
s3.cnt.get number
s3.cnt.put number
s3.cnt.other number
ec2.name string
ec2.imageid string
ecr.repository string
ecr.imagetag string
json.value string arg=required
json.obj string
json.rawtime number
evt.num number
evt.time string
evt.rawtime number
evt.source string
evt.hostname string
evt.plugininfo string
";

/// The `aws_cloudtrail` source's field table, built once.
pub fn cloudtrail_table() -> &'static FieldTable {
    static TABLE: OnceLock<FieldTable> = OnceLock::new();
    TABLE.get_or_init(|| FieldTable::new("aws_cloudtrail", &parse_table_text(CLOUDTRAIL_FIELDS)))
}
