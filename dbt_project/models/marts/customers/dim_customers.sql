{#
    One row per customer: the golden record built from every record linked to the customer.
    Survivorship (which value wins when records disagree) is documented per column in
    _customers__models.yml; each rule is one ranked CTE below, ending in `... _rank = 1`.
#}
with

clusters as (

    select * from {{ source('identity', 'clusters') }}

),

records as (

    select * from {{ ref('int_identity__records') }}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

linked as (

    select
        clusters.customer_id,
        clusters.is_anchor,
        records.record_id,
        records.source,
        records.source_table,
        records.source_key,
        records.record_kind,
        records.source_priority,
        records.first_name,
        records.last_name,
        records.email,
        records.phone,
        records.birth_date,
        records.gender,
        records.street,
        records.city,
        records.postcode,
        records.country,
        records.recorded_at,
        records.updated_at
    from clusters
    inner join records
        on clusters.record_id = records.record_id
    where clusters.customer_id is not null

),

customers as (

    select
        customer_id,
        min(recorded_at) as first_seen_at,
        count(*) as linked_records,
        count(case when source_table = 'contacts' then 1 end) as crm_contact_records,
        count(case when source_table = 'leads' then 1 end) as crm_lead_records,
        count(case when source_table = 'customers' then 1 end) as shop_customer_records,
        count(case when source_table = 'tickets' then 1 end) as support_ticket_records,
        count(case when source_table = 'responses' then 1 end) as survey_response_records,
        count(case when source_table = 'reviews' then 1 end) as review_records,
        count(case when source_table = 'events' then 1 end) as web_device_records
    from linked
    group by 1

),

anchors as (

    select
        customer_id,
        record_id as anchor_record_id
    from linked
    where is_anchor

),

-- Name: the most frequent (first, last) pair among profiles, else among other named records
-- (review signatures); ties to the shop account (people type their own name; a CRM record is
-- typed by staff), then the CRM, then the most recently updated.
name_votes as (

    select
        customer_id,
        first_name,
        last_name,
        min(case when record_kind = 'profile' then 0 else 1 end) as kind_rank,
        count(*) as votes,
        min(
            case source_table when 'customers' then 1 when 'contacts' then 2 else 3 end
        ) as typed_by_rank,
        max(updated_at) as latest_updated_at
    from linked
    where first_name is not null and last_name is not null
    group by 1, 2, 3

),

names as (

    select
        customer_id,
        first_name,
        last_name,
        row_number() over (
            partition by customer_id
            order by
                kind_rank asc, votes desc, typed_by_rank asc, latest_updated_at desc,
                first_name asc, last_name asc
        ) as name_rank
    from name_votes

),

-- Email: the address most records use (a CRM typo or an old address loses to the one the
-- person keeps typing into tickets and forms); ties to the most recent, then source priority.
email_votes as (

    select
        customer_id,
        email,
        count(*) as votes,
        max(updated_at) as latest_updated_at,
        min(source_priority) as best_priority
    from linked
    where email is not null
    group by 1, 2

),

emails as (

    select
        customer_id,
        email,
        row_number() over (
            partition by customer_id
            order by votes desc, latest_updated_at desc, best_priority asc, email asc
        ) as email_rank
    from email_votes

),

-- Phone: the most recently updated record that has one (people change numbers).
phones as (

    select
        customer_id,
        phone,
        row_number() over (
            partition by customer_id
            order by updated_at desc, source_priority asc, phone asc
        ) as phone_rank
    from linked
    where phone is not null

),

-- Birth date: the most frequent; ties to source priority.
birth_date_votes as (

    select
        customer_id,
        birth_date,
        count(*) as votes,
        min(source_priority) as best_priority
    from linked
    where birth_date is not null
    group by 1, 2

),

birth_dates as (

    select
        customer_id,
        birth_date,
        row_number() over (
            partition by customer_id
            order by votes desc, best_priority asc, birth_date asc
        ) as birth_date_rank
    from birth_date_votes

),

-- Address: street, city, postcode and country together from the most recently updated profile
-- that has a street or postcode (people move; parts of two addresses must not be mixed).
addresses as (

    select
        customer_id,
        street,
        city,
        postcode,
        country,
        row_number() over (
            partition by customer_id
            order by updated_at desc, source_priority asc, record_id asc
        ) as address_rank
    from linked
    where record_kind = 'profile' and (street is not null or postcode is not null)

),

-- CRM-only attributes (gender, income band, interests, lifecycle stage, consent): from the
-- customer's most recently updated CRM contact.
crm_contacts as (

    select
        linked.customer_id,
        contacts.gender,
        contacts.income_band,
        contacts.interests,
        contacts.lifecycle_stage,
        contacts.has_email_consent,
        contacts.has_sms_consent,
        row_number() over (
            partition by linked.customer_id
            order by linked.updated_at desc, linked.source_key asc
        ) as contact_rank
    from linked
    inner join contacts
        on linked.source_key = contacts.contact_id
    where linked.source = 'crm' and linked.source_table = 'contacts'

),

final as (

    select
        customers.customer_id,
        names.first_name,
        names.last_name,
        emails.email,
        {{ salted_hash('emails.email') }} as email_hash,
        phones.phone,
        birth_dates.birth_date,
        crm_contacts.gender,
        addresses.street,
        addresses.city,
        addresses.postcode,
        addresses.country,
        crm_contacts.income_band,
        crm_contacts.interests,
        crm_contacts.lifecycle_stage,
        crm_contacts.has_email_consent,
        crm_contacts.has_sms_consent,
        customers.first_seen_at,
        customers.linked_records,
        customers.crm_contact_records,
        customers.crm_lead_records,
        customers.shop_customer_records,
        customers.support_ticket_records,
        customers.survey_response_records,
        customers.review_records,
        customers.web_device_records,
        anchors.anchor_record_id
    from customers
    left outer join anchors
        on customers.customer_id = anchors.customer_id
    left outer join names
        on customers.customer_id = names.customer_id and names.name_rank = 1
    left outer join emails
        on customers.customer_id = emails.customer_id and emails.email_rank = 1
    left outer join phones
        on customers.customer_id = phones.customer_id and phones.phone_rank = 1
    left outer join birth_dates
        on
            customers.customer_id = birth_dates.customer_id
            and birth_dates.birth_date_rank = 1
    left outer join addresses
        on customers.customer_id = addresses.customer_id and addresses.address_rank = 1
    left outer join crm_contacts
        on customers.customer_id = crm_contacts.customer_id and crm_contacts.contact_rank = 1

)

select * from final
