{#
    Demand the shop does not meet, from three signals, one row per (demand_source, subject):
    - search: each site search term, matched to the catalogue by its words (3 or more letters,
      no digits, a trailing s dropped, generic words such as "set" or "gift" ignored) in product
      names and categories; with the share of searching sessions that went on to buy;
    - support: tickets per product category (tickets about products missing from the catalogue
      fall in category "not in catalogue");
    - feedback: requested features and product gaps customers wrote (text.insights).
    demand_index = demand_share / sales_share, both within the signal: the subject's share of its
    searches (tickets) against its matching products' share of the units those subjects' products
    sold; above 1 the subject is asked about more than it sells. gap_type: not_offered
    when no product matches, under_served when matching products sold nothing or the index is
    var insight_under_served_index (1.5) or more, served otherwise, feature_request for feedback.
#}
{%- set generic_words = var('insight_search_generic_words',
    ['set', 'sets', 'gift', 'gifts', 'kit', 'pack', 'new', 'best', 'man', 'men', 'women', 'kids',
     'the', 'and', 'for', 'with']) -%}
{%- set generic_word_list = "'" ~ generic_words | join("', '") ~ "'" -%}
{%- set under_served_index = var('insight_under_served_index', 1.5) -%}

with

events as (

    select * from {{ ref('int_customer_360__web_events') }}

),

orders as (

    select * from {{ ref('int_customer_360__orders') }}
    where is_sale

),

order_items as (

    select * from {{ ref('stg_ecommerce__order_items') }}

),

products as (

    select * from {{ ref('stg_ecommerce__products') }}

),

tickets as (

    select * from {{ ref('stg_support__tickets') }}

),

text_insights as (

    select * from {{ ref('int_text__insights') }}
    where requested_feature is not null

),

identity_map as (

    select * from {{ ref('customer_identity_map') }}
    where customer_id is not null

),

product_sales as (

    select
        order_items.product_id,
        sum(coalesce(order_items.quantity, 1)) as units_sold,
        sum(
            coalesce(order_items.quantity, 1)
            * coalesce(order_items.unit_price, products.price, 0)
        ) as revenue
    from orders
    inner join order_items
        on orders.order_id = order_items.order_id
    left outer join products
        on order_items.product_id = products.product_id
    group by 1

),

catalogue as (

    select
        products.product_id,
        products.category,
        lower(coalesce(products.product_name, '') || ' ' || coalesce(products.category, ''))
            as searchable_text,
        coalesce(product_sales.units_sold, 0) as units_sold,
        coalesce(product_sales.revenue, 0) as revenue
    from products
    left outer join product_sales
        on products.product_id = product_sales.product_id

),

-- search ---------------------------------------------------------------------------------

searches as (

    select
        session_id,
        customer_id,
        occurred_at,
        lower(trim(search_query)) as search_term,
        coalesce(customer_id, anonymous_id) as searcher_id
    from events
    where event_type = 'search' and nullif(trim(search_query), '') is not null

),

purchasing_sessions as (

    select distinct session_id
    from events
    where event_type = 'purchase' and session_id is not null

),

search_terms as (

    select
        searches.search_term,
        count(*) as searches,
        count(distinct searches.searcher_id) as searchers,
        count(distinct searches.customer_id) as customers,
        count(distinct searches.session_id) as search_sessions,
        count(distinct purchasing_sessions.session_id) as purchasing_sessions,
        min(searches.occurred_at) as first_seen_at,
        max(searches.occurred_at) as last_seen_at
    from searches
    left outer join purchasing_sessions
        on searches.session_id = purchasing_sessions.session_id
    group by 1

),

search_words as (

    select
        search_term,
        {{ split_to_rows('search_term', ' ') }} as word
    from search_terms

),

search_stems as (

    select distinct
        search_term,
        case
            when length(word) > 3 then regexp_replace(word, 's$', '')
            else word
        end as stem
    from search_words
    where
        length(word) >= 3
        and length(regexp_replace(word, '[0-9]', '', 'g')) = length(word)
        and word not in ({{ generic_word_list }})

),

search_matches as (

    select distinct
        search_stems.search_term,
        catalogue.product_id,
        catalogue.category,
        catalogue.units_sold,
        catalogue.revenue
    from search_stems
    inner join catalogue
        on catalogue.searchable_text like '%' || search_stems.stem || '%'

),

search_supply as (

    select
        search_term,
        count(*) as products_matching,
        sum(units_sold) as units_sold,
        sum(revenue) as revenue,
        min(category) as category
    from search_matches
    group by 1

),

search_demand as (

    select
        'search' as demand_source,
        search_terms.search_term as subject,
        search_supply.category,
        search_terms.searches as demand_count,
        search_terms.customers,
        coalesce(search_supply.products_matching, 0) as products_matching,
        coalesce(search_supply.units_sold, 0) as units_sold,
        coalesce(search_supply.revenue, 0) as revenue,
        cast(search_terms.purchasing_sessions as {{ type_double() }})
        / nullif(search_terms.search_sessions, 0) as conversion_rate,
        search_terms.first_seen_at,
        search_terms.last_seen_at
    from search_terms
    left outer join search_supply
        on search_terms.search_term = search_supply.search_term

),

-- support --------------------------------------------------------------------------------

ticket_categories as (

    select
        coalesce(products.category, 'not in catalogue') as category,
        count(*) as tickets,
        count(distinct identity_map.customer_id) as customers,
        min(tickets.created_at) as first_seen_at,
        max(tickets.created_at) as last_seen_at
    from tickets
    left outer join products
        on tickets.product_id = products.product_id
    left outer join identity_map
        on
            identity_map.source = 'support'
            and identity_map.source_table = 'tickets'
            and tickets.ticket_id = identity_map.source_key
    where tickets.product_id is not null
    group by 1

),

category_supply as (

    select
        category,
        count(*) as products_matching,
        sum(units_sold) as units_sold,
        sum(revenue) as revenue
    from catalogue
    group by 1

),

support_demand as (

    select
        'support' as demand_source,
        ticket_categories.category as subject,
        ticket_categories.category,
        ticket_categories.tickets as demand_count,
        ticket_categories.customers,
        coalesce(category_supply.products_matching, 0) as products_matching,
        coalesce(category_supply.units_sold, 0) as units_sold,
        coalesce(category_supply.revenue, 0) as revenue,
        cast(null as {{ type_double() }}) as conversion_rate,
        ticket_categories.first_seen_at,
        ticket_categories.last_seen_at
    from ticket_categories
    left outer join category_supply
        on ticket_categories.category = category_supply.category

),

-- feedback -------------------------------------------------------------------------------

feature_requests as (

    select
        text_insights.requested_feature,
        count(*) as mentions,
        count(distinct identity_map.customer_id) as customers,
        min(text_insights.occurred_at) as first_seen_at,
        max(text_insights.occurred_at) as last_seen_at
    from text_insights
    left outer join identity_map
        on
            text_insights.source = identity_map.source
            and text_insights.source_table = identity_map.source_table
            and text_insights.source_key = identity_map.source_key
    group by 1

),

feedback_demand as (

    select
        'feedback' as demand_source,
        requested_feature as subject,
        cast(null as {{ dbt.type_string() }}) as category,
        mentions as demand_count,
        customers,
        0 as products_matching,
        0 as units_sold,
        0 as revenue,
        cast(null as {{ type_double() }}) as conversion_rate,
        first_seen_at,
        last_seen_at
    from feature_requests

),

unioned as (

    select * from search_demand
    union all
    select * from support_demand
    union all
    select * from feedback_demand

),

shares as (

    select
        unioned.*,
        cast(unioned.demand_count as {{ type_double() }})
        / nullif(sum(unioned.demand_count) over (partition by unioned.demand_source), 0)
            as demand_share,
        cast(unioned.units_sold as {{ type_double() }})
        / nullif(sum(unioned.units_sold) over (partition by unioned.demand_source), 0)
            as sales_share
    from unioned

),

final as (

    select
        cast(demand_source as {{ dbt.type_string() }}) as demand_source,
        cast(subject as {{ dbt.type_string() }}) as subject,
        cast(category as {{ dbt.type_string() }}) as category,
        cast(demand_count as {{ dbt.type_bigint() }}) as demand_count,
        cast(customers as {{ dbt.type_bigint() }}) as customers,
        cast(products_matching as {{ dbt.type_bigint() }}) as products_matching,
        cast(units_sold as {{ dbt.type_bigint() }}) as units_sold,
        cast(revenue as {{ type_double() }}) as revenue,
        cast(conversion_rate as {{ type_double() }}) as conversion_rate,
        cast(demand_share as {{ type_double() }}) as demand_share,
        cast(sales_share as {{ type_double() }}) as sales_share,
        cast(demand_share / nullif(sales_share, 0) as {{ type_double() }}) as demand_index,
        cast(case
            when demand_source = 'feedback' then 'feature_request'
            when products_matching = 0 then 'not_offered'
            when units_sold = 0 then 'under_served'
            when demand_share >= {{ under_served_index }} * sales_share then 'under_served'
            else 'served'
        end as {{ dbt.type_string() }}) as gap_type,
        cast(first_seen_at as {{ dbt.type_timestamp() }}) as first_seen_at,
        cast(last_seen_at as {{ dbt.type_timestamp() }}) as last_seen_at,
        cast(row_number() over (
            partition by demand_source order by demand_count desc, subject asc
        ) as {{ dbt.type_bigint() }}) as demand_rank
    from shares

)

select * from final
